/**
 * The window of a convolution, shared by the four conv bases (BaseConv, BaseConvTranspose,
 * BaseDepthwiseConv, BaseSeparableConv): their arguments standardized and checked once, the channel
 * dimension their build needs, Keras's output-shape arithmetic and the config entries.
 */
import { formatShape, type Layer, type Shape, ValueError } from '@strata/core';

import {
  assertStridesOrDilation,
  type DataFormat,
  type PaddingMode,
  standardizeDataFormat,
  standardizePadding,
  standardizeTuple,
} from './argument-validation.js';

/** The window arguments every convolution takes: Keras's arguments of the same names, in camelCase. */
export interface ConvGeometryArgs {
  /** The window size: one integer for every spatial dimension, or one per dimension. */
  kernelSize: number | readonly number[];
  /** Default 1. Strides above 1 cannot be combined with a dilation rate above 1. */
  strides?: number | readonly number[];
  /** `'valid'` (default) or `'same'`, case-insensitive; Conv1D also takes `'causal'`. */
  padding?: string;
  /** `'channels_last'` (default) or `'channels_first'`. */
  dataFormat?: string | null;
  /** Default 1. */
  dilationRate?: number | readonly number[];
}

/** The same, standardized: the fields a conv layer keeps. */
export interface ConvGeometry {
  readonly rank: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: PaddingMode;
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
}

/** Keras's argument checks of a conv base, in its order; `causal` padding only where `allowCausal`. */
export function resolveConvGeometry(rank: number, args: ConvGeometryArgs, allowCausal = false): ConvGeometry {
  const kernelSize = standardizeTuple(args.kernelSize, rank, 'kernel_size');
  const strides = standardizeTuple(args.strides ?? 1, rank, 'strides');
  const dilationRate = standardizeTuple(args.dilationRate ?? 1, rank, 'dilation_rate');
  const padding = standardizePadding(args.padding ?? 'valid', allowCausal);
  const dataFormat = standardizeDataFormat(args.dataFormat);
  assertStridesOrDilation(strides, dilationRate);
  return { rank, kernelSize, strides, padding, dataFormat, dilationRate };
}

/**
 * The input channels a conv layer builds its kernel for; they must be known. Fixes the layer's input spec to
 * them, as Keras's conv bases do in `build`.
 */
export function convInputChannels(layer: Layer & ConvGeometry, inputShape: Shape): number {
  const { channels } = splitChannels(inputShape, layer.dataFormat);
  if (channels == null) {
    throw new ValueError(
      `Layer "${layer.name}": the channel dimension of the inputs should be defined. ` +
        `Received: input_shape=${formatShape(inputShape)}`,
    );
  }
  layer.inputSpec = {
    ndim: layer.rank + 2,
    axes: { [layer.dataFormat === 'channels_last' ? -1 : 1]: channels },
  };
  return channels;
}

/**
 * The config entries of the window in Keras's order; `afterPadding` holds entries Keras writes between
 * `padding` and `data_format` (the transposed convolutions' `output_padding`).
 */
export function serializeConvGeometry(
  geometry: ConvGeometry,
  afterPadding: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kernelSize: geometry.kernelSize.slice(),
    strides: geometry.strides.slice(),
    padding: geometry.padding,
    ...afterPadding,
    dataFormat: geometry.dataFormat,
    dilationRate: geometry.dilationRate.slice(),
  };
}

/** Splits a shape into batch, spatial dimensions and channels for either data format. */
export function splitChannels(
  shape: Shape,
  dataFormat: DataFormat,
): { batch: number | null; spatial: (number | null)[]; channels: number | null } {
  return dataFormat === 'channels_last'
    ? { batch: shape[0], spatial: shape.slice(1, -1), channels: shape[shape.length - 1] }
    : { batch: shape[0], spatial: shape.slice(2), channels: shape[1] };
}

/** Joins batch, spatial dimensions and channels back into a shape for the data format. */
export function joinChannels(
  batch: number | null,
  spatial: (number | null)[],
  channels: number | null,
  dataFormat: DataFormat,
): Shape {
  return dataFormat === 'channels_last' ? [batch, ...spatial, channels] : [batch, channels, ...spatial];
}

/**
 * Keras's `compute_conv_output_shape`: each spatial size becomes `floor((n - 1) / s) + 1` with `same`
 * (and `causal`) padding and `floor((n - d*(k-1) - 1) / s) + 1` with `valid`; unknown sizes stay unknown.
 */
export function computeConvOutputShape(
  inputShape: Shape,
  filters: number | null,
  geometry: ConvGeometry,
): Shape {
  const { kernelSize, strides, padding, dataFormat, dilationRate } = geometry;
  const { batch, spatial } = splitChannels(inputShape, dataFormat);
  if (spatial.length !== kernelSize.length) {
    throw new ValueError(
      `Kernel shape must have the same length as input, but received kernel of size ${kernelSize.length} ` +
        `and input of shape ${formatShape(inputShape)}.`,
    );
  }
  const out = spatial.map((n, i) => {
    if (n == null) return null;
    if (padding === 'valid')
      return Math.floor((n - dilationRate[i] * (kernelSize[i] - 1) - 1) / strides[i]) + 1;
    return Math.floor((n - 1) / strides[i]) + 1;
  });
  if (out.some((n) => n != null && n <= 0)) {
    throw new ValueError(
      `Computed output size would be negative. Received inputs shape=${formatShape(inputShape)}, ` +
        `kernel shape=${formatShape(kernelSize)}, dilation_rate=${formatShape(dilationRate)}.`,
    );
  }
  return joinChannels(batch, out, filters, dataFormat);
}

/**
 * Keras's `compute_conv_transpose_output_shape`. With `valid` padding each size becomes
 * `(n - 1) * s + k' + p` where `k' = d*(k-1) + 1` and `p` defaults to `max(k', s) - k'`; with `same` it is
 * `n * s`, or `(n - 1) * s + k' - 2*floor(k'/2) + p` when an output padding `p` is given.
 */
export function computeConvTransposeOutputShape(
  inputShape: Shape,
  filters: number,
  geometry: ConvGeometry,
  outputPadding: number[] | null,
): Shape {
  const { kernelSize, strides, padding, dataFormat, dilationRate } = geometry;
  const { batch, spatial } = splitChannels(inputShape, dataFormat);
  const out = spatial.map((n, i) => {
    if (n == null) return null;
    const k = (kernelSize[i] - 1) * dilationRate[i] + 1;
    const s = strides[i];
    if (padding === 'valid') return (n - 1) * s + k + (outputPadding?.[i] ?? Math.max(k, s) - k);
    if (outputPadding == null) return n * s;
    return (n - 1) * s + k - 2 * Math.floor(k / 2) + outputPadding[i];
  });
  return joinChannels(batch, out, filters, dataFormat);
}
