/** Cases and a dilation-aware cpu reference shared by the two depthwise gradient tests. */
import * as tf from '@tensorflow/tfjs-core';

import { type KernelInput, runKernelOn } from './test-parity.js';

export interface DepthwiseCase {
  x: number[];
  filter: number[];
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number;
}

export const depthwiseCases: DepthwiseCase[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: 'valid' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: 'same' },
  { x: [1, 9, 8, 2], filter: [3, 3, 2, 2], strides: 2, dilations: 1, pad: 'same' },
  { x: [2, 8, 9, 4], filter: [2, 3, 4, 3], strides: [2, 1], dilations: 1, pad: 'valid' },
  { x: [1, 10, 10, 2], filter: [3, 3, 2, 1], strides: 1, dilations: 2, pad: 'same' },
  { x: [1, 11, 9, 3], filter: [3, 2, 3, 2], strides: 1, dilations: [2, 3], pad: 'valid' },
  { x: [1, 6, 6, 2], filter: [3, 3, 2, 1], strides: 2, dilations: 1, pad: 1 },
];

export function depthwiseOutputShape(c: DepthwiseCase): number[] {
  return tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number],
    c.filter as [number, number, number, number],
    c.strides,
    c.dilations,
    c.pad,
    undefined,
    true,
  ).outShape;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * A dilated filter is the same as an undilated one with (dilation - 1) zeros between taps. The cpu
 * kernels handle that undilated form correctly, so they give a reference for the dilated cases.
 */
export function spreadFilter(filter: KernelInput, dilations: [number, number]): KernelInput {
  const [kh, kw, c, m] = filter.shape;
  const [dh, dw] = dilations;
  const shape = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, c, m];
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < c * m; k++)
        values[(i * dh * shape[1] + j * dw) * c * m + k] = filter.values[(i * kw + j) * c * m + k];
  return { shape, values };
}

export async function cpuFilterGradient(c: DepthwiseCase, x: KernelInput, dy: KernelInput) {
  const [dh, dw] = pair(c.dilations);
  const [kh, kw, ch, m] = c.filter;
  const spreadShape = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ch, m];
  const full = await runKernelOn(
    'cpu',
    'DepthwiseConv2dNativeBackpropFilter',
    { x, dy },
    { strides: c.strides, dilations: 1, pad: c.pad, filterShape: spreadShape },
  );
  const values = new Float32Array(kh * kw * ch * m);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < ch * m; k++)
        values[(i * kw + j) * ch * m + k] = full.values[(i * dh * spreadShape[1] + j * dw) * ch * m + k];
  return { shape: c.filter, values };
}

export async function cpuInputGradient(c: DepthwiseCase, dy: KernelInput, filter: KernelInput) {
  return runKernelOn(
    'cpu',
    'DepthwiseConv2dNativeBackpropInput',
    { dy, filter: spreadFilter(filter, pair(c.dilations)) },
    { strides: c.strides, dilations: 1, pad: c.pad, inputShape: c.x },
  );
}
