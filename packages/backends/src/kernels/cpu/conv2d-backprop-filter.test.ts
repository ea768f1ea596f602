import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../cpu.js';
import { installedKernelFixes, installKernelFixes, removeKernelFixes } from '../../kernel-fixes.js';
import { randomInput, runKernelOn } from '../wasm/test-parity.js';
import { cpuKernelFixes } from './index.js';

const cases = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [1, 9, 8, 2], filter: [3, 2, 2, 5], strides: 2, pad: 'valid' },
  { x: [2, 10, 10, 8], filter: [3, 3, 8, 2], strides: 1, pad: 'same' },
];

describe('cpu Conv2DBackpropFilter (im2col + matMul)', () => {
  it('is installed by @strata/backends/cpu', () => {
    expect(installedKernelFixes('cpu')).toContain('Conv2DBackpropFilter');
  });

  for (const [i, c] of cases.entries()) {
    it(`matches tfjs's own cpu kernel: x ${c.x}, filter ${c.filter}, strides ${c.strides}, pad ${c.pad}`, async () => {
      const dyShape = tf.backend_util.computeConv2DInfo(
        c.x as [number, number, number, number],
        c.filter as [number, number, number, number],
        c.strides,
        1,
        c.pad as 'same',
      ).outShape;
      const inputs = { x: randomInput(c.x, 1 + i), dy: randomInput(dyShape, 9 + i) };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
      const ours = await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs);
      removeKernelFixes('cpu');
      try {
        const theirs = await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs);
        expect(ours.shape).toEqual(theirs.shape);
        const worst = theirs.values.reduce((m, v, k) => Math.max(m, Math.abs(v - ours.values[k])), 0);
        expect(worst).toBeLessThanOrEqual(1e-4);
      } finally {
        installKernelFixes(cpuKernelFixes);
      }
    });
  }
});
