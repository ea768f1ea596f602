import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { installedKernelFixes } from '../../kernel-fixes.js';
import { expectWasmMatchesCpu, randomInput } from './test-parity.js';

type Pad =
  | 'valid'
  | 'same'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

const cases: Array<{ x: number[]; filter: number[]; strides: number | [number, number]; pad: Pad }> = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [1, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  { x: [1, 8, 8, 2], filter: [2, 2, 2, 3], strides: 2, pad: 'same' },
  { x: [1, 9, 8, 2], filter: [3, 2, 2, 5], strides: [2, 3], pad: 'same' },
  { x: [1, 6, 6, 1], filter: [5, 5, 1, 2], strides: 1, pad: 2 },
  {
    x: [1, 6, 5, 2],
    filter: [3, 3, 2, 2],
    strides: 2,
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  },
  // 13x13x32 -> 64 filters: the second layer of the MNIST convnet (batch cut down).
  { x: [2, 13, 13, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'valid' },
];

function outputShape(x: number[], filter: number[], strides: number | [number, number], pad: Pad): number[] {
  return tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    strides,
    1,
    pad as 'same',
  ).outShape;
}

describe('wasm Conv2DBackpropInput (replaces the slow tfjs-backend-wasm 4.22 kernel)', () => {
  it('is installed over the tfjs kernel', () => {
    expect(installedKernelFixes('wasm')).toContain('Conv2DBackpropInput');
  });

  for (const [i, c] of cases.entries()) {
    it(`matches cpu: x ${c.x}, filter ${c.filter}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`, async () => {
      await expectWasmMatchesCpu(
        'Conv2DBackpropInput',
        {
          dy: randomInput(outputShape(c.x, c.filter, c.strides, c.pad), 40 + i),
          filter: randomInput(c.filter, 50 + i),
        },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x },
      );
    });
  }

  it('matches cpu with NCHW data', async () => {
    await expectWasmMatchesCpu(
      'Conv2DBackpropInput',
      { dy: randomInput([2, 4, 4, 3], 1), filter: randomInput([3, 3, 3, 4], 2) },
      { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 6] },
    );
  });

  it('matches cpu with dimRoundingMode on a fractional output size', async () => {
    await expectWasmMatchesCpu(
      'Conv2DBackpropInput',
      { dy: randomInput([1, 5, 5, 3], 3), filter: randomInput([3, 3, 2, 3], 4) }, // (8 - 3 + 2) / 2 + 1 = 4.5 -> 5
      { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', inputShape: [1, 8, 8, 2] },
    );
  });
});
