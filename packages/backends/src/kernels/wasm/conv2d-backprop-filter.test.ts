import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectWasmMatchesCpu, randomInput } from './test-parity.js';

type Pad =
  | 'valid'
  | 'same'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

const cases: Array<{ x: number[]; filter: number[]; strides: number | [number, number]; pad: Pad }> = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { x: [1, 9, 8, 2], filter: [3, 2, 2, 5], strides: [2, 3], pad: 'same' },
  { x: [3, 8, 8, 4], filter: [2, 2, 4, 2], strides: 2, pad: 'valid' },
  { x: [1, 6, 6, 1], filter: [5, 5, 1, 3], strides: 1, pad: 2 },
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
  // More filter taps than output channels takes the other matMul orientation.
  { x: [2, 10, 10, 8], filter: [3, 3, 8, 2], strides: 1, pad: 'same' },
  // 28x28x1 -> 32 filters: the first layer of the MNIST convnet.
  { x: [4, 28, 28, 1], filter: [3, 3, 1, 32], strides: 1, pad: 'valid' },
  // More than 64 taps (kh * kw * in) take the batch-convolution path, where strides become dilations.
  { x: [2, 13, 13, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'valid' },
  { x: [1, 9, 8, 12], filter: [3, 2, 12, 5], strides: [2, 3], pad: 'same' },
  { x: [3, 8, 8, 17], filter: [2, 2, 17, 2], strides: 2, pad: 'valid' },
  {
    x: [1, 6, 5, 9],
    filter: [3, 3, 9, 2],
    strides: 2,
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  },
];

function outputShape(x: number[], filter: number[], strides: number | [number, number], pad: Pad): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    filter as [number, number, number, number],
    strides,
    1,
    pad as 'same',
  );
  return info.outShape;
}

describe('wasm Conv2DBackpropFilter', () => {
  it('is registered for wasm once @strata/backends/wasm is imported', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const [i, c] of cases.entries()) {
    it(`matches cpu: x ${c.x}, filter ${c.filter}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`, async () => {
      const dy = outputShape(c.x, c.filter, c.strides, c.pad);
      await expectWasmMatchesCpu(
        'Conv2DBackpropFilter',
        { x: randomInput(c.x, 10 + i), dy: randomInput(dy, 100 + i) },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter },
      );
    });
  }

  it('matches cpu with NCHW data', async () => {
    await expectWasmMatchesCpu(
      'Conv2DBackpropFilter',
      { x: randomInput([2, 3, 7, 6], 1), dy: randomInput([2, 4, 4, 3], 2) },
      { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
    );
  });

  it('matches cpu with dimRoundingMode on a fractional output size, more than 64 taps', async () => {
    await expectWasmMatchesCpu(
      'Conv2DBackpropFilter',
      { x: randomInput([1, 8, 8, 9], 5), dy: randomInput([1, 5, 5, 3], 6) },
      { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', filterShape: [3, 3, 9, 3] },
    );
  });

  it('matches cpu with dimRoundingMode on a fractional output size', async () => {
    await expectWasmMatchesCpu(
      'Conv2DBackpropFilter',
      { x: randomInput([1, 8, 8, 2], 3), dy: randomInput([1, 5, 5, 3], 4) }, // (8 - 3 + 2) / 2 + 1 = 4.5 -> 5
      { strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', filterShape: [3, 3, 2, 3] },
    );
  });
});
