// Strata and Keras are channels-last; ONNX's Conv and pooling ops are channels-first.
import type { Shape } from '@strata/core';

import type { OnnxGraph } from '../onnx-graph.js';

/** NWC/NHWC to NCW/NCHW. */
export function toChannelsFirst(g: OnnxGraph, x: string, rank: number): string {
  return g.op1('Transpose', [x], {
    perm: [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)],
  });
}

/** NCW/NCHW back to NWC/NHWC. */
export function toChannelsLast(g: OnnxGraph, x: string, rank: number): string {
  return g.op1('Transpose', [x], { perm: [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1] });
}

/**
 * The padding attributes of a window op (conv or pooling), as Keras pads: 'valid' none; 'same' the TF rule
 * (total = max((ceil(in / s) - 1) * s + k - in, 0), the odd one at the end), explicit when the spatial
 * size is known, ONNX's SAME_UPPER otherwise; 'causal' (Conv1D) all at the start.
 */
export function windowPadding(
  padding: string,
  spatial: (number | null)[],
  kernel: number[],
  strides: number[],
  dilations: number[] = kernel.map(() => 1),
): { pads: number[] } | { auto_pad: string } {
  const effective = kernel.map((k, i) => (k - 1) * dilations[i] + 1);
  if (padding === 'valid') return { pads: [...kernel.map(() => 0), ...kernel.map(() => 0)] };
  if (padding === 'causal') return { pads: [effective[0] - 1, 0] };
  if (spatial.some((d) => d == null)) return { auto_pad: 'SAME_UPPER' };
  const totals = (spatial as number[]).map((n, i) =>
    Math.max((Math.ceil(n / strides[i]) - 1) * strides[i] + effective[i] - n, 0),
  );
  return { pads: [...totals.map((t) => Math.floor(t / 2)), ...totals.map((t) => t - Math.floor(t / 2))] };
}

/** The spatial dimensions of a channels-last shape. */
export function spatialDims(shape: Shape): (number | null)[] {
  return shape.slice(1, -1);
}

/** Transposes weight data: `perm` as in numpy's transpose. */
export function transposeData(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  inStrides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1] * shape[i + 1];
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
