import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { installedKernelFixes } from '../../kernel-fixes.js';
import { expectWasmMatchesCpu, randomInput, runKernelOn } from './test-parity.js';

describe('wasm Sum over leading axes (one average pool times the count)', () => {
  it('is installed as a wrapper of the tfjs kernel', () => {
    expect(installedKernelFixes('wasm')).toContain('Sum');
  });

  const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
    { shape: [4, 6, 6, 5], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 6, 6, 5], axis: [2, 0, 1], keepDims: true },
    { shape: [7, 3], axis: 0, keepDims: false },
    { shape: [3, 4, 5], axis: [0, 1], keepDims: false },
    // Not leading axes: the original kernel.
    { shape: [3, 4, 5], axis: [1, 2], keepDims: false },
    { shape: [3, 4, 5], axis: [0, 2], keepDims: true },
    { shape: [3, 4, 5], axis: [0, 1, 2], keepDims: false },
  ];
  for (const [i, c] of cases.entries()) {
    it(`matches cpu: shape ${c.shape}, axis ${c.axis}, keepDims ${c.keepDims}`, async () => {
      await expectWasmMatchesCpu(
        'Sum',
        { x: randomInput(c.shape, 30 + i) },
        { axis: c.axis, keepDims: c.keepDims },
      );
    });
  }

  it('sums by hand: [2, 2, 3] over axes 0 and 1', async () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i);
    const out = await runKernelOn('wasm', 'Sum', { x: { shape: [2, 2, 3], values } }, { axis: [0, 1] });
    expect(out.shape).toEqual([3]);
    // Column c holds c, c + 3, c + 6, c + 9.
    expect(Array.from(out.values)).toEqual([18, 22, 26]);
  });

  it('leaves int32 sums to the original kernel', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const s = tf.sum(x, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual([4, 6]);
    tf.dispose([x, s]);
  });
});
