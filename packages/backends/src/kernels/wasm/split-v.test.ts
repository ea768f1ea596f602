import { seededValues } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

// Only wasm is imported: the cpu reference must be tfjs's own cpu kernels, not Strata's cpu fixes.
import '../../wasm.js';

import { installedKernelFixes } from '../../kernel-fixes.js';

/** tf.split on one backend: the pieces' shapes and values, and how many tensors it left behind. */
async function splitOn(
  backendName: string,
  shape: number[],
  dtype: 'float32' | 'int32',
  splits: number | number[],
  axis: number,
) {
  await tf.setBackend(backendName);
  const n = shape.reduce((a, b) => a * b, 1);
  const values =
    dtype === 'float32' ? seededValues(n, n) : Int32Array.from({ length: n }, (_, i) => i * 3 - 50);
  const x = tf.tensor(values, shape, dtype);
  const before = tf.memory().numTensors;
  const pieces = tf.split(x, splits, axis);
  const added = tf.memory().numTensors - before;
  const result = pieces.map((p) => ({ shape: p.shape, dtype: p.dtype, values: Array.from(p.dataSync()) }));
  tf.dispose([x, ...pieces]);
  return { result, added };
}

const cases: Array<[number[], number | number[], number]> = [
  [[100, 2048], 100, 0],
  [[512, 64], 4, 0],
  [[64, 512], 4, 1],
  [[2, 3, 10], [2, -1, 5], -1],
  [[4, 6, 5], [1, 0, 3], 0],
  [[3, 8, 2, 2], 2, 1],
];

describe('wasm SplitV (each piece copies only its elements)', () => {
  it('is installed by @strata/backends/wasm', () => {
    expect(installedKernelFixes('wasm')).toContain('SplitV');
  });

  for (const [shape, splits, axis] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      it(`matches the cpu backend: ${dtype} [${shape}] split ${JSON.stringify(splits)} on axis ${axis}`, async () => {
        const wasm = await splitOn('wasm', shape, dtype, splits, axis);
        const cpu = await splitOn('cpu', shape, dtype, splits, axis);
        expect(wasm.result).toEqual(cpu.result);
        expect(wasm.added).toBe(wasm.result.length);
      });
    }
  }

  it('gives the pieces a hand-checked layout', async () => {
    await tf.setBackend('wasm');
    const [a, b] = tf.split(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), [1, 2], 1);
    expect(Array.from(a.dataSync())).toEqual([1, 4]);
    expect(Array.from(b.dataSync())).toEqual([2, 3, 5, 6]);
    tf.dispose([a, b]);
  });
});
