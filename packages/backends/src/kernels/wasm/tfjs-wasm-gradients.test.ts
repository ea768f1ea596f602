/**
 * Gradient kernels tfjs-backend-wasm 4.22 does have and Strata keeps, which our layers rely on (Conv2D's
 * input gradient, Conv2DTranspose's forward pass, AvgPool's gradient): checked against cpu like the ones
 * we add. (Its MaxPoolGrad failed this check; max-pool-grad.ts replaces it.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';

import { expectWasmMatchesCpu, randomInput, runKernelOn } from './test-parity.js';

type Pad = 'valid' | 'same' | number;

describe("tfjs-backend-wasm's own gradient kernels", () => {
  const convCases: Array<{ x: number[]; filter: number[]; strides: number; pad: Pad }> = [
    { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { x: [1, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
    { x: [1, 8, 8, 2], filter: [2, 2, 2, 3], strides: 2, pad: 'same' },
    { x: [1, 6, 6, 1], filter: [5, 5, 1, 2], strides: 1, pad: 2 },
  ];
  for (const [i, c] of convCases.entries()) {
    it(`Conv2DBackpropInput matches cpu: x ${c.x}, filter ${c.filter}, strides ${c.strides}, pad ${c.pad}`, async () => {
      const out = tf.backend_util.computeConv2DInfo(
        c.x as [number, number, number, number],
        c.filter as [number, number, number, number],
        c.strides,
        1,
        c.pad,
      ).outShape;
      await expectWasmMatchesCpu(
        'Conv2DBackpropInput',
        { dy: randomInput(out, 40 + i), filter: randomInput(c.filter, 50 + i) },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x },
      );
    });
  }

  const poolCases: Array<{ x: number[]; filterSize: number | [number, number]; strides: number; pad: Pad }> =
    [
      { x: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' },
      { x: [1, 7, 7, 2], filterSize: 3, strides: 2, pad: 'same' },
      { x: [1, 9, 6, 4], filterSize: [3, 2], strides: 1, pad: 'valid' },
      { x: [2, 5, 5, 1], filterSize: 2, strides: 1, pad: 'same' },
    ];
  for (const [i, c] of poolCases.entries()) {
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    it(`AvgPoolGrad matches cpu: x ${c.x}, pool ${c.filterSize}, strides ${c.strides}, pad ${c.pad}`, async () => {
      const input = randomInput(c.x, 80 + i);
      const output = await runKernelOn('cpu', 'AvgPool', { x: input }, attrs);
      await expectWasmMatchesCpu('AvgPoolGrad', { dy: randomInput(output.shape, 90 + i), input }, attrs);
    });
  }
});
