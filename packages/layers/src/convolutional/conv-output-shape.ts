import { formatShape, type Shape, ValueError } from '@strata/core';

import type { DataFormat, PaddingMode } from './argument-validation.js';

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
  kernelSize: number[],
  strides: number[],
  padding: PaddingMode,
  dataFormat: DataFormat,
  dilationRate: number[],
): Shape {
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
  kernelSize: number[],
  filters: number,
  strides: number[],
  padding: 'valid' | 'same',
  outputPadding: number[] | null,
  dataFormat: DataFormat,
  dilationRate: number[],
): Shape {
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
