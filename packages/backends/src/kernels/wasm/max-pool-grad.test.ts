import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { installedKernelFixes } from '../../kernel-fixes.js';
import { expectWasmMatchesCpu, type KernelInput, randomInput, runKernelOn } from './test-parity.js';

type Pad = 'valid' | 'same';

/** MaxPool's gradient by its definition: each window adds its dy to the first pixel holding its max. */
function handMaxPoolGrad(
  x: KernelInput,
  dy: KernelInput,
  size: number,
  stride: number,
  pad: Pad,
): Float32Array {
  const [B, H, W, C] = x.shape;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    size,
    stride,
    1,
    pad,
  );
  const dx = new Float32Array(x.values.length);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < info.outHeight; oh++)
      for (let ow = 0; ow < info.outWidth; ow++)
        for (let c = 0; c < C; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let i = 0; i < size; i++)
            for (let j = 0; j < size; j++) {
              const h = oh * stride + i - info.padInfo.top;
              const w = ow * stride + j - info.padInfo.left;
              if (h < 0 || w < 0 || h >= H || w >= W) continue;
              const idx = ((b * H + h) * W + w) * C + c;
              if (x.values[idx] > best) {
                best = x.values[idx];
                at = idx;
              }
            }
          dx[at] += dy.values[((b * info.outHeight + oh) * info.outWidth + ow) * C + c];
        }
  return dx;
}

const cases: Array<{ x: number[]; size: number; stride: number; pad: Pad }> = [
  { x: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
  { x: [1, 4, 4, 2], size: 2, stride: 1, pad: 'same' },
  { x: [1, 7, 7, 2], size: 3, stride: 2, pad: 'same' },
  { x: [2, 5, 5, 1], size: 2, stride: 1, pad: 'same' },
  { x: [1, 9, 6, 4], size: 3, stride: 1, pad: 'valid' },
  { x: [1, 7, 7, 3], size: 2, stride: 3, pad: 'valid' },
  // Non-overlapping windows (stride = pool size) take the fast path: a cropped frame (the MNIST
  // convnet's second pool, 11 -> 5), -Infinity padding below/right, and padding on all four sides.
  { x: [2, 11, 11, 4], size: 2, stride: 2, pad: 'valid' },
  { x: [1, 7, 7, 3], size: 2, stride: 2, pad: 'same' },
  { x: [2, 4, 4, 2], size: 3, stride: 3, pad: 'same' },
  { x: [1, 9, 9, 2], size: 3, stride: 3, pad: 'valid' },
];

describe('wasm MaxPoolGrad (replaces the tfjs-backend-wasm 4.22 kernel, wrong for negative inputs)', () => {
  it('is installed over the tfjs kernel', () => {
    expect(installedKernelFixes('wasm')).toContain('MaxPoolGrad');
  });

  for (const [n, c] of cases.entries()) {
    const attrs = { filterSize: c.size, strides: c.stride, pad: c.pad };
    it(`matches the definition and cpu: x ${c.x}, pool ${c.size}, stride ${c.stride}, pad ${c.pad}`, async () => {
      const input = randomInput(c.x, 60 + n);
      const output = await runKernelOn('cpu', 'MaxPool', { x: input }, attrs);
      const dy = randomInput(output.shape, 70 + n);
      const wasm = await runKernelOn('wasm', 'MaxPoolGrad', { dy, input, output }, attrs);
      const hand = handMaxPoolGrad(input, dy, c.size, c.stride, c.pad);
      const worst = hand.reduce((m, v, i) => Math.max(m, Math.abs(v - wasm.values[i])), 0);
      expect(worst).toBeLessThanOrEqual(1e-6);
      await expectWasmMatchesCpu('MaxPoolGrad', { dy, input, output }, attrs);
    });
  }

  it('breaks ties the way cpu does (windows of zeros, as after a ReLU)', async () => {
    const input = randomInput([1, 6, 6, 2], 5);
    for (let i = 0; i < input.values.length; i++) input.values[i] = Math.max(0, input.values[i] - 0.6);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    const output = await runKernelOn('cpu', 'MaxPool', { x: input }, attrs);
    expect(output.values.some((v) => v === 0)).toBe(true);
    await expectWasmMatchesCpu('MaxPoolGrad', { dy: randomInput(output.shape, 6), input, output }, attrs);
  });

  it('breaks ties the way cpu does with larger windows (3x3, several equal maxima, negative values)', async () => {
    const input = randomInput([2, 6, 6, 3], 7);
    // Values on a coarse grid, so most windows hold their maximum more than once.
    for (let i = 0; i < input.values.length; i++) input.values[i] = Math.round(input.values[i] * 2) / 2;
    const attrs = { filterSize: 3, strides: 3, pad: 'valid' };
    const output = await runKernelOn('cpu', 'MaxPool', { x: input }, attrs);
    const dy = randomInput(output.shape, 8);
    const wasm = await runKernelOn('wasm', 'MaxPoolGrad', { dy, input, output }, attrs);
    const hand = handMaxPoolGrad(input, dy, 3, 3, 'valid');
    expect(hand.reduce((m, v, i) => Math.max(m, Math.abs(v - wasm.values[i])), 0)).toBeLessThanOrEqual(1e-6);
    await expectWasmMatchesCpu('MaxPoolGrad', { dy, input, output }, attrs);
  });
});
