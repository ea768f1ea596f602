/**
 * Gradient kernels tfjs-backend-wasm 4.22 does have and Strata keeps, which our layers rely on (AvgPool's
 * gradient): checked against cpu like the ones we add. (Its MaxPoolGrad failed this check and
 * max-pool-grad.ts replaces it; conv2d-backprop-input.ts replaces its slow Conv2DBackpropInput.)
 */
import { describe, it } from 'vitest';

import { expectWasmMatchesCpu, randomInput, runKernelOn } from './test-parity.js';

type Pad = 'valid' | 'same' | number;

describe("tfjs-backend-wasm's own gradient kernels", () => {
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
