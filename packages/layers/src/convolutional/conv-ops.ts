/*
 * The tensor computations behind the convolution layers, all on channels-last 4-D tensors.
 *
 * tfjs differentiates neither conv2d nor depthwiseConv2d with dilation rates above 1, so a dilated
 * convolution runs as TensorFlow itself runs it: space-to-batch, a plain convolution, batch-to-space.
 * Both reshuffles have gradients, so dilated layers train.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type FusedActivation,
  fusedActivationOf,
  LEAKY_RELU_SLOPE,
} from '../activations/fused-activation.js';
import type { ActivationFn } from '../activations/index.js';
import type { DataFormat } from './argument-validation.js';

export interface Conv2DOptions {
  strides: [number, number];
  padding: 'valid' | 'same';
  dilation: [number, number];
  bias?: tf.Tensor | null;
  /** An activation the fused kernel applies; the caller applies any other one itself. */
  activation?: FusedActivation;
}

/** Integer or boolean inputs compute in float32, as Keras casts them to the layer's compute dtype. */
export function castToFloat<T extends tf.Tensor>(x: T): T {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/** Moves the channels axis last (`channels_first` inputs); a no-op for `channels_last`. */
export function toChannelsLast<T extends tf.Tensor>(x: T, dataFormat: DataFormat): T {
  if (dataFormat === 'channels_last') return x;
  const r = x.rank;
  return tf.transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
}

/** The inverse of `toChannelsLast`. */
export function fromChannelsLast<T extends tf.Tensor>(x: T, dataFormat: DataFormat): T {
  if (dataFormat === 'channels_last') return x;
  const r = x.rank;
  return tf.transpose(x, [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
}

function isOne(pair: readonly number[]): boolean {
  return pair.every((v) => v === 1);
}

/**
 * Runs `op`, a stride-1 `valid` convolution with an undilated kernel, as the dilated convolution with
 * the given padding: the input is split into `dilation` interleaved grids (padded as `same` would pad
 * it), each grid convolved, and the results interleaved back.
 */
function withSpaceToBatch(
  x: tf.Tensor4D,
  kernelSize: [number, number],
  dilation: [number, number],
  padding: 'valid' | 'same',
  op: (x: tf.Tensor4D) => tf.Tensor4D,
): tf.Tensor4D {
  const paddings: [number, number][] = [];
  const crops: [number, number][] = [];
  for (let i = 0; i < 2; i++) {
    const n = x.shape[i + 1];
    const d = dilation[i];
    // Strides are 1 whenever a dilation is above 1, so `same` pads the dilated kernel's extent minus one.
    const total = padding === 'same' ? (kernelSize[i] - 1) * d : 0;
    const before = Math.floor(total / 2);
    const extra = (d - ((n + total) % d)) % d;
    paddings.push([before, total - before + extra]);
    crops.push([0, extra]);
  }
  const y = op(tf.spaceToBatchND(x, dilation, paddings));
  return tf.batchToSpaceND(y, dilation, crops);
}

/** What `asConv2d` reads from a convolution layer. */
export interface ConvLayerGeometry {
  rank: number;
  dataFormat: DataFormat;
  strides: number[];
  dilationRate: number[];
  activation: ActivationFn;
}

/** The strides, dilation and fusable activation `asConv2d` hands to its 2-D convolution. */
export interface Conv2DPairs {
  strides: [number, number];
  dilation: [number, number];
  activation: FusedActivation;
}

/**
 * Runs a 1-D or 2-D convolution layer through 2-D kernels: casts the input to float and moves its channels
 * last, gives a 1-D input and each kernel a unit height, calls `run` with the strides and dilation as pairs
 * and the activation tfjs can fuse, then removes the unit height, restores the layout and applies an
 * activation tfjs could not fuse.
 */
export function asConv2d(
  layer: ConvLayerGeometry,
  x: tf.Tensor,
  kernels: tf.Tensor[],
  run: (input: tf.Tensor4D, kernels: tf.Tensor4D[], pairs: Conv2DPairs) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const fused = fusedActivationOf(layer.activation);
    let h = toChannelsLast(castToFloat(x), layer.dataFormat);
    let ks = kernels;
    if (layer.rank === 1) {
      h = tf.expandDims(h, 1);
      ks = ks.map((k) => tf.expandDims(k, 0));
    }
    const lift = (v: number[]): [number, number] => (layer.rank === 1 ? [1, v[0]] : [v[0], v[1]]);
    const pairs = {
      strides: lift(layer.strides),
      dilation: lift(layer.dilationRate),
      activation: fused ?? 'linear',
    };
    let y = run(h as tf.Tensor4D, ks as tf.Tensor4D[], pairs);
    if (layer.rank === 1) y = tf.squeeze(y, [1]);
    y = fromChannelsLast(y, layer.dataFormat);
    return fused == null ? layer.activation(y) : y;
  });
}

/** The arguments both of tfjs's fused 2-D convolutions (plain and depthwise) take. */
interface FusedConvArgs {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  strides: [number, number];
  pad: 'valid' | 'same';
  bias?: tf.Tensor;
  activation: FusedActivation;
  leakyreluAlpha: number;
}

/**
 * Runs `op`, one of tfjs's fused 2-D convolutions, with bias and activation folded in; a dilated one runs
 * as undilated convolutions over space-to-batch grids (see `withSpaceToBatch`).
 */
function fusedConv2d(
  op: (args: FusedConvArgs) => tf.Tensor4D,
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  options: Conv2DOptions,
): tf.Tensor4D {
  const run = (input: tf.Tensor4D, strides: [number, number], pad: 'valid' | 'same') =>
    op({
      x: input,
      filter: kernel,
      strides,
      pad,
      bias: options.bias ?? undefined,
      activation: options.activation ?? 'linear',
      leakyreluAlpha: LEAKY_RELU_SLOPE,
    });
  if (isOne(options.dilation)) return run(x, options.strides, options.padding);
  const k: [number, number] = [kernel.shape[0], kernel.shape[1]];
  return withSpaceToBatch(x, k, options.dilation, options.padding, (input) => run(input, [1, 1], 'valid'));
}

/** A 2-D convolution on NHWC input, with bias and activation folded into tfjs's fused kernel. */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, options: Conv2DOptions): tf.Tensor4D {
  return fusedConv2d(tf.fused.conv2d, x, kernel, options);
}

/**
 * Keras's grouped convolution: input channels and filters split into `groups` equal parts, each part
 * convolved with its own slice of the kernel, the results concatenated along channels.
 */
export function groupedConv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  groups: number,
  options: Conv2DOptions,
): tf.Tensor4D {
  if (groups === 1) return conv2d(x, kernel, options);
  const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
  const ks = tf.split(kernel, groups, 3) as tf.Tensor4D[];
  const bs = options.bias ? tf.split(options.bias, groups, 0) : null;
  const parts = xs.map((xi, i) => conv2d(xi, ks[i], { ...options, bias: bs ? bs[i] : null }));
  return tf.concat(parts, 3);
}

/** A depthwise 2-D convolution on NHWC input (kernel `(kh, kw, in, multiplier)`), fused with bias and activation. */
export function depthwiseConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, options: Conv2DOptions): tf.Tensor4D {
  return fusedConv2d(tf.fused.depthwiseConv2d, x, kernel, options);
}

/**
 * Spreads a kernel's taps `dilation` apart with zeros between them, so that a plain (transposed)
 * convolution with it is the dilated one. Used where tfjs has no dilated kernel at all.
 */
export function dilateKernel(kernel: tf.Tensor4D, dilation: [number, number]): tf.Tensor4D {
  if (isOne(dilation)) return kernel;
  const [kh, kw, a, b] = kernel.shape;
  const [dh, dw] = dilation;
  const spread = tf.pad(tf.reshape(kernel, [kh, 1, kw, 1, a, b]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  const grid = tf.reshape(spread, [kh * dh, kw * dw, a, b]) as tf.Tensor4D;
  return tf.slice(grid, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b]);
}

/** A transposed 2-D convolution on NHWC input (kernel `(kh, kw, out, in)`) to the given output shape. */
export function conv2dTranspose(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  outputShape: [number, number, number, number],
  strides: [number, number],
  padding: 'valid' | 'same',
  dilation: [number, number],
): tf.Tensor4D {
  return tf.conv2dTranspose(x, dilateKernel(kernel, dilation), outputShape, strides, padding);
}
