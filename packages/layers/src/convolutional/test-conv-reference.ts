/*
 * Plain-loop convolutions and pooling for the tests: written from the definitions, sharing no code with
 * the layers, so that a test against them can fail. All on NHWC arrays.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface ReferenceConvOptions {
  strides?: [number, number];
  dilation?: [number, number];
  padding?: 'valid' | 'same';
  groups?: number;
}

type Array4D = number[][][][];

/** TensorFlow's output size and leading pad for one spatial dimension of a convolution or pooling. */
function geometry(
  n: number,
  k: number,
  s: number,
  padding: 'valid' | 'same',
): { out: number; before: number } {
  const out = padding === 'valid' ? Math.floor((n - k) / s) + 1 : Math.ceil(n / s);
  const total = padding === 'valid' ? 0 : Math.max((out - 1) * s + k - n, 0);
  return { out, before: Math.floor(total / 2) };
}

function zeros4d(a: number, b: number, c: number, d: number): Array4D {
  return Array.from({ length: a }, () =>
    Array.from({ length: b }, () => Array.from({ length: c }, () => new Array<number>(d).fill(0))),
  );
}

/** `out[b,i,j,o] = sum x[b, i*s + di*d - pad, j*s + dj*d - pad, c] * k[di, dj, c - groupStart, o]`. */
export function referenceConv2D(
  x: tf.Tensor,
  kernel: tf.Tensor,
  options: ReferenceConvOptions = {},
): tf.Tensor4D {
  const [sh, sw] = options.strides ?? [1, 1];
  const [dh, dw] = options.dilation ?? [1, 1];
  const padding = options.padding ?? 'valid';
  const groups = options.groups ?? 1;
  const xs = x.arraySync() as Array4D;
  const ks = kernel.arraySync() as Array4D;
  const [batch, h, w] = x.shape;
  const [kh, kw, cPerGroup, filters] = kernel.shape;
  const rows = geometry(h, (kh - 1) * dh + 1, sh, padding);
  const cols = geometry(w, (kw - 1) * dw + 1, sw, padding);
  const out = zeros4d(batch, rows.out, cols.out, filters);
  const filtersPerGroup = filters / groups;
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let o = 0; o < filters; o++) {
          const g = Math.floor(o / filtersPerGroup);
          let acc = 0;
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const r = i * sh + di * dh - rows.before;
              const c = j * sw + dj * dw - cols.before;
              if (r < 0 || r >= h || c < 0 || c >= w) continue;
              for (let ci = 0; ci < cPerGroup; ci++)
                acc += xs[b][r][c][g * cPerGroup + ci] * ks[di][dj][ci][o];
            }
          out[b][i][j][o] = acc;
        }
  return tf.tensor4d(out);
}

/** Depthwise: `out[b,i,j,c*m + q] = sum x[b, ..., c] * k[di, dj, c, q]`. */
export function referenceDepthwiseConv2D(
  x: tf.Tensor,
  kernel: tf.Tensor,
  options: ReferenceConvOptions = {},
): tf.Tensor4D {
  const [sh, sw] = options.strides ?? [1, 1];
  const [dh, dw] = options.dilation ?? [1, 1];
  const padding = options.padding ?? 'valid';
  const xs = x.arraySync() as Array4D;
  const ks = kernel.arraySync() as Array4D;
  const [batch, h, w, channels] = x.shape;
  const [kh, kw, , mult] = kernel.shape;
  const rows = geometry(h, (kh - 1) * dh + 1, sh, padding);
  const cols = geometry(w, (kw - 1) * dw + 1, sw, padding);
  const out = zeros4d(batch, rows.out, cols.out, channels * mult);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let c = 0; c < channels; c++)
          for (let q = 0; q < mult; q++) {
            let acc = 0;
            for (let di = 0; di < kh; di++)
              for (let dj = 0; dj < kw; dj++) {
                const r = i * sh + di * dh - rows.before;
                const cc = j * sw + dj * dw - cols.before;
                if (r >= 0 && r < h && cc >= 0 && cc < w) acc += xs[b][r][cc][c] * ks[di][dj][c][q];
              }
            out[b][i][j][c * mult + q] = acc;
          }
  return tf.tensor4d(out);
}

/**
 * Transposed convolution as the scatter it is: every input value adds `x * k[di, dj, o, c]` at output
 * position `i*s + di*d - pad`, where the pad is what a forward convolution from the output size would use.
 */
export function referenceConv2DTranspose(
  x: tf.Tensor,
  kernel: tf.Tensor,
  outSize: [number, number],
  options: ReferenceConvOptions = {},
): tf.Tensor4D {
  const [sh, sw] = options.strides ?? [1, 1];
  const [dh, dw] = options.dilation ?? [1, 1];
  const padding = options.padding ?? 'valid';
  const xs = x.arraySync() as Array4D;
  const ks = kernel.arraySync() as Array4D;
  const [batch, h, w, channels] = x.shape;
  const [kh, kw, filters] = kernel.shape;
  const [oh, ow] = outSize;
  const padFor = (n: number, inSize: number, k: number, s: number) =>
    padding === 'valid' ? 0 : Math.floor(Math.max((inSize - 1) * s + k - n, 0) / 2);
  const top = padFor(oh, h, (kh - 1) * dh + 1, sh);
  const left = padFor(ow, w, (kw - 1) * dw + 1, sw);
  const out = zeros4d(batch, oh, ow, filters);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let c = 0; c < channels; c++)
          for (let di = 0; di < kh; di++)
            for (let dj = 0; dj < kw; dj++) {
              const r = i * sh + di * dh - top;
              const cc = j * sw + dj * dw - left;
              if (r < 0 || r >= oh || cc < 0 || cc >= ow) continue;
              for (let o = 0; o < filters; o++) out[b][r][cc][o] += xs[b][i][j][c] * ks[di][dj][o][c];
            }
  return tf.tensor4d(out);
}

/** Max or average over each window; padded positions are skipped (and not counted in the average). */
export function referencePool2D(
  x: tf.Tensor,
  mode: 'max' | 'average',
  poolSize: [number, number],
  strides: [number, number],
  padding: 'valid' | 'same',
): tf.Tensor4D {
  const xs = x.arraySync() as Array4D;
  const [batch, h, w, channels] = x.shape;
  const rows = geometry(h, poolSize[0], strides[0], padding);
  const cols = geometry(w, poolSize[1], strides[1], padding);
  const out = zeros4d(batch, rows.out, cols.out, channels);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let c = 0; c < channels; c++) {
          const values: number[] = [];
          for (let di = 0; di < poolSize[0]; di++)
            for (let dj = 0; dj < poolSize[1]; dj++) {
              const r = i * strides[0] + di - rows.before;
              const cc = j * strides[1] + dj - cols.before;
              if (r >= 0 && r < h && cc >= 0 && cc < w) values.push(xs[b][r][cc][c]);
            }
          out[b][i][j][c] =
            mode === 'max' ? Math.max(...values) : values.reduce((s, v) => s + v, 0) / values.length;
        }
  return tf.tensor4d(out);
}

/** A seeded uniform tensor in [-1, 1), so that failures reproduce. */
export function seededUniform(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}
