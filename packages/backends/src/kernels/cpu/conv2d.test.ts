import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../cpu.js';
import { installedKernelFixes } from '../../kernel-fixes.js';
import { type KernelInput, randomInput } from '../wasm/test-parity.js';
import { expectMatchesTfjsCpu, onTfjsCpuKernels } from './test-parity.js';

type Pad = 'same' | 'valid' | number | number[][];

interface Case {
  name: string;
  x: number[];
  filter: number[];
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'ceil' | 'round';
}

// Strides, padding kinds, odd sizes, batch 1, one channel, a 1x1 filter (the GEMM on x itself), filter
// depths past one GEMM k-block (256), patch matrices of more than one block (~65,536 floats), NCHW;
// then 3x3 stride-1 cases with 8+ channels, which run as Winograd F(2x2, 3x3) or F(4x4, 3x3): odd sizes
// (a last tile partly outside), blocks of tiles spanning images, padding beyond the filter (a cropping
// input gradient).
const cases: Case[] = [
  { name: 'same, stride 1', x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  { name: 'valid, stride 2, batch 1', x: [1, 9, 8, 2], filter: [3, 2, 2, 5], strides: 2, pad: 'valid' },
  { name: 'one channel in', x: [3, 10, 10, 1], filter: [3, 3, 1, 6], strides: 1, pad: 'valid' },
  { name: 'one channel out', x: [2, 6, 7, 4], filter: [2, 3, 4, 1], strides: 1, pad: 'same' },
  { name: '1x1 filter', x: [2, 5, 6, 7], filter: [1, 1, 7, 9], strides: 1, pad: 'valid' },
  { name: '1x1 filter, stride 2', x: [1, 7, 7, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'same' },
  {
    name: 'explicit pads, strides [2, 3]',
    x: [2, 11, 9, 5],
    filter: [5, 3, 5, 7],
    strides: [2, 3],
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
  {
    name: 'numeric pad, ceil rounding',
    x: [1, 8, 9, 2],
    filter: [3, 3, 2, 3],
    strides: 2,
    pad: 1,
    dimRoundingMode: 'ceil',
  },
  { name: 'large channels (k > 256)', x: [1, 5, 6, 70], filter: [3, 3, 70, 66], strides: 1, pad: 'same' },
  { name: 'several patch blocks', x: [2, 12, 12, 50], filter: [3, 3, 50, 3], strides: 1, pad: 'same' },
  {
    name: 'NCHW, stride 2',
    x: [2, 3, 7, 8],
    filter: [3, 3, 3, 4],
    strides: 2,
    pad: 'same',
    dataFormat: 'NCHW',
  },
  {
    name: 'Winograd, valid, odd size, blocks over images',
    x: [3, 13, 13, 32],
    filter: [3, 3, 32, 64],
    strides: 1,
    pad: 'valid',
  },
  { name: 'Winograd, same, batch 1', x: [1, 8, 9, 9], filter: [3, 3, 9, 10], strides: 1, pad: 'same' },
  {
    name: 'Winograd, explicit pads past the filter',
    x: [2, 6, 7, 8],
    filter: [3, 3, 8, 12],
    strides: 1,
    pad: [
      [0, 0],
      [3, 0],
      [1, 2],
      [0, 0],
    ],
  },
  {
    name: 'Winograd, NCHW',
    x: [2, 10, 7, 7],
    filter: [3, 3, 10, 9],
    strides: 1,
    pad: 'valid',
    dataFormat: 'NCHW',
  },
  // Outputs of 7 or more pixels a side run as F(4x4, 3x3): last tiles 2 and 3 pixels inside the output,
  // and blocks of tiles spanning images.
  {
    name: 'Winograd F(4x4), same, edge tiles',
    x: [2, 10, 7, 8],
    filter: [3, 3, 8, 6],
    strides: 1,
    pad: 'same',
  },
  {
    name: 'Winograd F(4x4), valid, blocks over images',
    x: [4, 21, 21, 16],
    filter: [3, 3, 16, 24],
    strides: 1,
    pad: 'valid',
  },
  // Up to 32 taps run directly (direct-conv2d.ts): a pixel count and channel count not multiples of 4.
  { name: 'few taps, odd pixels, batch 1', x: [1, 8, 11, 1], filter: [3, 3, 1, 7], strides: 1, pad: 'valid' },
  // Outputs where F(6x6, 3x3) needs the fewest products (9x13: 6 tiles of 64 against 12 of 36 for
  // F(4x4)): last tiles 3 and 1 pixels inside the output, and in the input gradient (11x15) 5 and 3;
  // then 4 and 2 (10x14, batch 1, padded).
  {
    name: 'Winograd F(6x6), valid, edge tiles 3 and 1 wide',
    x: [2, 11, 15, 8],
    filter: [3, 3, 8, 10],
    strides: 1,
    pad: 'valid',
  },
  {
    name: 'Winograd F(6x6), same, batch 1, edge tiles 4 and 2 wide',
    x: [1, 10, 14, 9],
    filter: [3, 3, 9, 12],
    strides: 1,
    pad: 'same',
  },
];

/** Dilations only reach the forward kernel: tfjs's gradient kernels take none. */
const dilatedCases: Case[] = [
  {
    name: 'dilation 2, same',
    x: [2, 12, 11, 2],
    filter: [3, 3, 2, 4],
    strides: 1,
    pad: 'same',
    dilations: 2,
  },
  {
    name: 'dilations [2, 3], valid, NCHW',
    x: [1, 2, 13, 14],
    filter: [2, 3, 2, 3],
    strides: 1,
    pad: 'valid',
    dilations: [2, 3],
    dataFormat: 'NCHW',
  },
];

function geometry(c: Case) {
  const dataFormat = c.dataFormat ?? 'NHWC';
  const info = tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number],
    c.filter as [number, number, number, number],
    c.strides,
    c.dilations ?? 1,
    c.pad as 'same',
    c.dimRoundingMode,
    false,
    dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
  );
  const attrs = {
    strides: c.strides,
    pad: c.pad,
    dataFormat,
    dimRoundingMode: c.dimRoundingMode,
  };
  return { outShape: info.outShape as number[], attrs };
}

describe('cpu convolutions (im2col + packed GEMM)', () => {
  it('are installed by @strata/backends/cpu', () => {
    expect(installedKernelFixes('cpu')).toEqual(
      expect.arrayContaining(['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']),
    );
  });

  for (const [i, c] of [...cases, ...dilatedCases].entries()) {
    it(`Conv2D matches tfjs's cpu kernel: ${c.name} (x ${c.x}, filter ${c.filter})`, async () => {
      const { attrs } = geometry(c);
      await expectMatchesTfjsCpu(
        'Conv2D',
        { x: randomInput(c.x, 1 + i), filter: randomInput(c.filter, 50 + i) },
        { ...attrs, dilations: c.dilations ?? 1 },
      );
    });
  }

  for (const [i, c] of cases.entries()) {
    it(`Conv2DBackpropInput matches tfjs's cpu kernel: ${c.name}`, async () => {
      const { outShape, attrs } = geometry(c);
      await expectMatchesTfjsCpu(
        'Conv2DBackpropInput',
        { dy: randomInput(outShape, 100 + i), filter: randomInput(c.filter, 150 + i) },
        { ...attrs, inputShape: c.x },
      );
    });

    it(`Conv2DBackpropFilter matches tfjs's cpu kernel: ${c.name}`, async () => {
      const { outShape, attrs } = geometry(c);
      await expectMatchesTfjsCpu(
        'Conv2DBackpropFilter',
        { x: randomInput(c.x, 200 + i), dy: randomInput(outShape, 250 + i) },
        { ...attrs, filterShape: c.filter },
      );
    });
  }

  const fused: Array<{
    name: string;
    c: Case;
    bias?: number[];
    activation: string;
    alpha?: number[];
  }> = [
    { name: 'bias + relu', c: cases[0], bias: [4], activation: 'relu' },
    { name: 'bias + relu over several blocks', c: cases[9], bias: [3], activation: 'relu' },
    { name: '1x1, scalar bias, linear', c: cases[4], bias: [1], activation: 'linear' },
    { name: 'no bias, relu', c: cases[2], activation: 'relu' },
    { name: 'bias + leakyrelu', c: cases[6], bias: [7], activation: 'leakyrelu' },
    { name: 'scalar bias, elu', c: cases[1], bias: [1], activation: 'elu' },
    { name: 'no bias, prelu per channel', c: cases[4], activation: 'prelu', alpha: [9] },
    { name: 'NCHW, bias per channel + relu6', c: cases[10], bias: [4], activation: 'relu6' },
    { name: 'NCHW, prelu per channel', c: cases[10], bias: [4], activation: 'prelu', alpha: [4] },
    { name: 'dilated, sigmoid', c: dilatedCases[0], bias: [4], activation: 'sigmoid' },
    { name: 'Winograd, bias + relu over blocks of tiles', c: cases[11], bias: [64], activation: 'relu' },
    { name: 'Winograd, same, bias + relu', c: cases[12], bias: [10], activation: 'relu' },
    {
      name: 'Winograd F(4x4), bias + relu over blocks of tiles',
      c: cases[16],
      bias: [24],
      activation: 'relu',
    },
    { name: 'few taps, bias + relu, odd sizes', c: cases[17], bias: [7], activation: 'relu' },
    {
      // F(6x6, 3x3) on a 10x15 output: blocks of 7 tile rows, 2 per image, so blocks span images.
      name: 'Winograd F(6x6), bias + relu over blocks of tiles spanning images',
      c: { name: '', x: [4, 12, 17, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'valid' },
      bias: [64],
      activation: 'relu',
    },
    { name: 'few taps, same, scalar bias, linear', c: cases[0], bias: [1], activation: 'linear' },
  ];
  for (const [i, f] of fused.entries()) {
    it(`FusedConv2D matches tfjs's cpu kernel: ${f.name}`, async () => {
      const { attrs } = geometry(f.c);
      const inputs: Record<string, KernelInput> = {
        x: randomInput(f.c.x, 300 + i),
        filter: randomInput(f.c.filter, 350 + i),
      };
      if (f.bias) inputs.bias = randomInput(f.bias, 400 + i);
      if (f.alpha) inputs.preluActivationWeights = randomInput(f.alpha, 450 + i);
      await expectMatchesTfjsCpu('FusedConv2D', inputs, {
        ...attrs,
        dilations: f.c.dilations ?? 1,
        activation: f.activation,
        leakyreluAlpha: 0.3,
      });
    });
  }

  // im2col at stride 2; Winograd F(4x4, 3x3) (batch 1, odd sizes), F(2x2, 3x3) (a 5x6 output) and
  // F(6x6, 3x3) (an 11x9 output and its input gradient, 13x11; the filter gradient runs as F(4x4, 3x3)).
  const gradCases: Array<{ x: number[]; filter: number[]; strides: number; pad: 'same' | 'valid' }> = [
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
    { x: [1, 11, 9, 8], filter: [3, 3, 8, 10], strides: 1, pad: 'valid' },
    { x: [2, 5, 6, 12], filter: [3, 3, 12, 9], strides: 1, pad: 'same' },
    { x: [1, 13, 11, 8], filter: [3, 3, 8, 6], strides: 1, pad: 'valid' },
  ];
  for (const [i, c] of gradCases.entries()) {
    it(`the gradients through tf.grad match tfjs's cpu kernels, and nothing leaks: x ${c.x}, stride ${c.strides}, ${c.pad}`, async () => {
      await tf.setBackend('cpu');
      const x = tf.tensor4d(randomInput(c.x, 7 + i).values, c.x as [number, number, number, number]);
      const w = tf.tensor4d(
        randomInput(c.filter, 8 + i).values,
        c.filter as [number, number, number, number],
      );
      const bias = tf.tensor1d(randomInput([c.filter[3]], 9 + i).values);
      const loss = (xv: tf.Tensor4D, wv: tf.Tensor4D) =>
        tf.fused
          .conv2d({ x: xv, filter: wv, strides: c.strides, pad: c.pad, bias, activation: 'relu' })
          .square()
          .sum();
      const run = () => {
        const before = tf.memory().numTensors;
        const [dx, dw] = tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
        const out = [dx.dataSync<'float32'>().slice(), dw.dataSync<'float32'>().slice()];
        tf.dispose([dx, dw]);
        expect(tf.memory().numTensors).toBe(before);
        return out;
      };
      const ours = run();
      const theirs = await onTfjsCpuKernels(run);
      for (const [k, ref] of theirs.entries()) {
        const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(0);
        const worst = ref.reduce((m, v, j) => Math.max(m, Math.abs(v - ours[k][j])), 0);
        expect(worst).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
      }
      tf.dispose([x, w, bias]);
    });
  }
});
