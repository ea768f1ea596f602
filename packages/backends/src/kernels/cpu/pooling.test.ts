import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../cpu.js';
import { installedKernelFixes } from '../../kernel-fixes.js';
import { type KernelInput, randomInput } from '../wasm/test-parity.js';
import { expectMatchesTfjsCpu, onTfjsCpuKernels } from './test-parity.js';

interface PoolCase {
  name: string;
  x: number[];
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'ceil' | 'round';
  /** Rounds the inputs to halves, so windows hold ties (the first maximum must take the gradient). */
  ties?: boolean;
  /** Every seventh input is NaN, which max-pooling skips. */
  nan?: boolean;
}

function poolInput(c: PoolCase, seed: number): KernelInput {
  const x = randomInput(c.x, seed);
  if (c.ties) x.values = x.values.map((v) => Math.round(v * 2) / 2);
  if (c.nan) x.values = x.values.map((v, i) => (i % 7 === 3 ? Number.NaN : v));
  return x;
}

// Non-overlapping (MaxPooling2D's default), overlapping with padding, negative values and ties, odd
// sizes, batch 1, one channel, many channels.
const cases: PoolCase[] = [
  { name: '2x2, stride 2, valid', x: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' },
  { name: '2x2, stride 2, odd size', x: [1, 9, 7, 5], filterSize: 2, strides: 2, pad: 'valid' },
  { name: '3x3, stride 2, same', x: [2, 9, 10, 4], filterSize: 3, strides: 2, pad: 'same' },
  { name: '3x3, stride 1, ties', x: [1, 6, 7, 2], filterSize: 3, strides: 1, pad: 'valid', ties: true },
  {
    name: '[2, 3], strides [1, 2], same, one channel',
    x: [3, 7, 8, 1],
    filterSize: [2, 3],
    strides: [1, 2],
    pad: 'same',
  },
  { name: 'numeric pad, ceil', x: [1, 8, 8, 2], filterSize: 3, strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { name: 'many channels', x: [2, 6, 6, 67], filterSize: 2, strides: 2, pad: 'valid' },
  { name: '3x3, stride 2, with NaN', x: [2, 7, 7, 3], filterSize: 3, strides: 2, pad: 'valid', nan: true },
  { name: '2x2, stride 2, with NaN', x: [1, 6, 8, 5], filterSize: 2, strides: 2, pad: 'valid', nan: true },
];

describe('cpu MaxPool (channels together)', () => {
  it('is installed by @strata/backends/cpu', () => {
    expect(installedKernelFixes('cpu')).toContain('MaxPool');
  });

  for (const [i, c] of cases.entries()) {
    it(`matches tfjs's cpu kernel: ${c.name}`, async () => {
      const attrs = {
        filterSize: c.filterSize,
        strides: c.strides,
        pad: c.pad,
        dimRoundingMode: c.dimRoundingMode,
      };
      await expectMatchesTfjsCpu('MaxPool', { x: poolInput(c, 800 + i) }, attrs);
    });
  }

  // The windows inside the input take their maxima on the floats' bits: values of both signs and of
  // very different sizes (where a difference of floats would round), ±0, ±Infinity, NaN (both signs)
  // and windows of NaN only (-Infinity), value for value.
  it.each([2, 3])(
    "matches tfjs's cpu kernel exactly on extreme values: windows %i pixels a side",
    async (size) => {
      const specials = [
        0,
        -0,
        1e-38,
        -1e-38,
        3e38,
        -3e38,
        Infinity,
        -Infinity,
        NaN,
        -NaN,
        1,
        -1,
        1 + 2 ** -23,
      ];
      const shape: [number, number, number, number] = [2, 6, 6, 7];
      const values = randomInput(shape, 5).values.map((v, i) =>
        i % 3 === 0 ? specials[(i * 7) % specials.length] : v * 10 ** ((i % 11) - 5),
      );
      // Every tap of the first window of each channel of image 1 is NaN.
      for (const at of [0, 1, 2, 6, 7, 8, 12, 13, 14])
        values.fill(Number.NaN, (36 + at) * 7, (36 + at + 1) * 7);
      await tf.setBackend('cpu');
      const run = () =>
        tf.tidy(() =>
          tf.maxPool(tf.tensor4d(values, shape), size, size, 'valid').dataSync<'float32'>().slice(),
        );
      const before = tf.memory().numTensors;
      const ours = run();
      expect(tf.memory().numTensors).toBe(before);
      const theirs = await onTfjsCpuKernels(run);
      expect(theirs).toContain(Number.NEGATIVE_INFINITY);
      expect(theirs).toContain(Number.POSITIVE_INFINITY);
      // Where tfjs met -0 before +0 it keeps -0: the sign of a zero is not compared.
      const zeroed = (a: Float32Array) => Array.from(a, (v) => (v === 0 ? 0 : v));
      expect(zeroed(ours)).toEqual(zeroed(theirs));
    },
  );

  // 2x2 windows of values from +0 to +Infinity (a relu's outputs) take their maxima on int32 bits; a
  // window holding -0, a negative value or NaN goes the general way. Value for value against tfjs.
  it("matches tfjs's cpu kernel exactly on non-negative 2x2 windows, NaN and signed values mixed in", async () => {
    const specials = [0, 1e-45, 1e-38, 3e38, Infinity, 1, 1 + 2 ** -23, 2 ** 31];
    const shape: [number, number, number, number] = [3, 8, 6, 5];
    const values = randomInput(shape, 6).values.map((v, i) =>
      i % 4 === 1 ? specials[(i >> 2) % specials.length] : Math.abs(v) * 10 ** ((i % 9) - 4),
    );
    // After a few int32 windows (pixels 6 wide, 5 channels, images of 240 values): in image 0 a window
    // with NaN in two channels, in image 1 one with a -0, in image 2 one with a negative value.
    values[14 * 5 + 3] = Number.NaN;
    values[21 * 5 + 4] = Number.NaN;
    values[240 + 15 * 5] = -0;
    values[480 + 27 * 5 + 1] = -2.5;
    await tf.setBackend('cpu');
    const run = () =>
      tf.tidy(() => tf.maxPool(tf.tensor4d(values, shape), 2, 2, 'valid').dataSync<'float32'>().slice());
    const before = tf.memory().numTensors;
    const ours = run();
    expect(tf.memory().numTensors).toBe(before);
    const theirs = await onTfjsCpuKernels(run);
    expect(theirs).toContain(Number.POSITIVE_INFINITY);
    expect(ours).toEqual(theirs);
  });
});

describe('cpu MaxPoolGrad (one pass over the windows)', () => {
  it('is installed by @strata/backends/cpu', () => {
    expect(installedKernelFixes('cpu')).toContain('MaxPoolGrad');
  });

  for (const [i, c] of cases.entries()) {
    it(`matches tfjs's cpu kernel: ${c.name}`, async () => {
      const x = poolInput(c, 500 + i);
      const attrs = {
        filterSize: c.filterSize,
        strides: c.strides,
        pad: c.pad,
        dimRoundingMode: c.dimRoundingMode,
      };
      await tf.setBackend('cpu');
      const output = tf.tidy(() => {
        const y = tf.maxPool(
          tf.tensor4d(x.values, c.x as [number, number, number, number]),
          c.filterSize,
          c.strides,
          c.pad,
          c.dimRoundingMode,
        );
        return { shape: y.shape, values: y.dataSync() as Float32Array };
      });
      const inputs: Record<string, KernelInput> = {
        dy: randomInput(output.shape, 600 + i),
        input: x,
        output,
      };
      await expectMatchesTfjsCpu('MaxPoolGrad', inputs, attrs);
    });
  }
});
