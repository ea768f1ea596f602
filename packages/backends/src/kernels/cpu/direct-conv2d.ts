/**
 * Convolutions with few taps per output value (`filterHeight * filterWidth * inChannels`), computed
 * directly: a one-channel image's first 3x3 layer has 9.
 *
 * Why not im2col: at a depth of 9 the GEMM's work per output value is 9 multiply-adds, while im2col
 * copies each tap into the patch matrix, the GEMM packs it again, and every 4x4 block of the product
 * starts and stores its sixteen sums for a 9-step loop. The MNIST convnet's first Conv2D at batch 1,000
 * took ~300 ms of CPU that way, against ~55 ms of multiply-adds. Here each group of four output pixels
 * gathers its windows once into a small double-precision scratch (zeros for padding), and a 4x4 block
 * of outputs (four pixels by four channels) is summed over the taps from that scratch and the filter,
 * also kept in doubles (no conversion per load), starting from the bias, with relu as it is stored.
 * A window inside the input is read through a table of tap offsets; one over the edge tap by tap, with
 * zeros for the padding. Any strides, padding and dilation.
 */
import type { backend_util } from '@tensorflow/tfjs-core';

import { type BiasRelu, reluIf } from './bias-relu.js';

/** Up to this many taps per output value, the direct product beats im2col and the packed GEMM here. */
export const DIRECT_MAX_TAPS = 32;

// Scratch reused across calls (kernels run one at a time on the thread): four pixels' windows, the
// filter as doubles, and where each tap of a window is relative to its first.
let windows = new Float64Array(0);
let weights = new Float64Array(0);
let offsets = new Int32Array(0);

/**
 * Copies the windows of the `rows` output pixels from (`image`, `oy`, `ox`) on, row-major over the
 * batch, into `to` (one row of `[kh, kw, in]` taps each, in a flattened filter's order; taps outside
 * the input are 0). `tapAt` holds each tap's offset from the window's first input value.
 */
function gatherWindows(
  x: Float32Array,
  info: backend_util.Conv2DInfo,
  tapAt: Int32Array,
  image: number,
  oy: number,
  ox: number,
  rows: number,
  to: Float64Array,
): void {
  const { inHeight, inWidth, inChannels: c, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const { top, left } = padInfo;
  const rowTaps = filterWidth * c;
  const k = filterHeight * rowTaps;
  const lastRow = (filterHeight - 1) * dilationHeight;
  const lastColumn = (filterWidth - 1) * dilationWidth;
  let t = 0;
  for (let i = 0; i < rows; i++) {
    const y0 = oy * strideHeight - top;
    const x0 = ox * strideWidth - left;
    if (y0 >= 0 && y0 + lastRow < inHeight && x0 >= 0 && x0 + lastColumn < inWidth) {
      const first = ((image * inHeight + y0) * inWidth + x0) * c;
      for (let j = 0; j < k; j++) to[t++] = x[first + tapAt[j]];
    } else {
      for (let fy = 0; fy < filterHeight; fy++) {
        const iy = y0 + fy * dilationHeight;
        if (iy < 0 || iy >= inHeight) {
          for (let j = 0; j < rowTaps; j++) to[t++] = 0;
          continue;
        }
        const rowStart = (image * inHeight + iy) * inWidth;
        for (let fx = 0; fx < filterWidth; fx++) {
          const ix = x0 + fx * dilationWidth;
          if (ix < 0 || ix >= inWidth) {
            for (let ch = 0; ch < c; ch++) to[t++] = 0;
          } else {
            for (let ch = 0, from = (rowStart + ix) * c; ch < c; ch++) to[t++] = x[from + ch];
          }
        }
      }
    }
    if (++ox === outWidth) {
      ox = 0;
      if (++oy === outHeight) {
        oy = 0;
        image++;
      }
    }
  }
}

/**
 * Output pixels `r .. r + rows` (rows <= 4) from their windows `w` and the filter `f` (`[taps, out]`):
 * `out[r + i, j] = bias[j] + Σ_t w[i, t] · f[t, j]`, four channels at a time, then relu if `relu`.
 * Written out like `gemm.ts`'s 4x4 block rather than shared with it: measured on conv1, the GEMM's
 * microkernel (a call per 4x4 block of a 9-step loop, bias and relu in a second pass) was 1.3-2x
 * slower, and a helper for the four stores of a row (not inlined by V8) ~1.3x slower.
 */
function productOfWindows(
  w: Float64Array,
  f: Float64Array,
  k: number,
  n: number,
  out: Float32Array,
  r: number,
  rows: number,
  bias: Float32Array,
  relu: boolean,
): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const d0 = bias[j],
      d1 = bias[j + 1],
      d2 = bias[j + 2],
      d3 = bias[j + 3];
    let c00 = d0,
      c01 = d1,
      c02 = d2,
      c03 = d3;
    let c10 = d0,
      c11 = d1,
      c12 = d2,
      c13 = d3;
    let c20 = d0,
      c21 = d1,
      c22 = d2,
      c23 = d3;
    let c30 = d0,
      c31 = d1,
      c32 = d2,
      c33 = d3;
    for (let t = 0, fo = j; t < k; t++, fo += n) {
      const a0 = w[t],
        a1 = w[k + t],
        a2 = w[2 * k + t],
        a3 = w[3 * k + t];
      const b0 = f[fo],
        b1 = f[fo + 1],
        b2 = f[fo + 2],
        b3 = f[fo + 3];
      c00 += a0 * b0;
      c01 += a0 * b1;
      c02 += a0 * b2;
      c03 += a0 * b3;
      c10 += a1 * b0;
      c11 += a1 * b1;
      c12 += a1 * b2;
      c13 += a1 * b3;
      c20 += a2 * b0;
      c21 += a2 * b1;
      c22 += a2 * b2;
      c23 += a2 * b3;
      c30 += a3 * b0;
      c31 += a3 * b1;
      c32 += a3 * b2;
      c33 += a3 * b3;
    }
    let o = r * n + j;
    out[o] = reluIf(c00, relu);
    out[o + 1] = reluIf(c01, relu);
    out[o + 2] = reluIf(c02, relu);
    out[o + 3] = reluIf(c03, relu);
    if (rows < 2) continue;
    o += n;
    out[o] = reluIf(c10, relu);
    out[o + 1] = reluIf(c11, relu);
    out[o + 2] = reluIf(c12, relu);
    out[o + 3] = reluIf(c13, relu);
    if (rows < 3) continue;
    o += n;
    out[o] = reluIf(c20, relu);
    out[o + 1] = reluIf(c21, relu);
    out[o + 2] = reluIf(c22, relu);
    out[o + 3] = reluIf(c23, relu);
    if (rows < 4) continue;
    o += n;
    out[o] = reluIf(c30, relu);
    out[o + 1] = reluIf(c31, relu);
    out[o + 2] = reluIf(c32, relu);
    out[o + 3] = reluIf(c33, relu);
  }
  // The last n mod 4 channels, one at a time.
  for (; j < n; j++) {
    for (let i = 0; i < rows; i++) {
      let sum = bias[j];
      for (let t = 0, a = i * k, fo = j; t < k; t++, a++, fo += n) sum += w[a] * f[fo];
      out[(r + i) * n + j] = reluIf(sum, relu);
    }
  }
}

/**
 * NHWC `x` convolved with a `[kh, kw, in, out]` filter into NHWC `out` (every value written), for
 * filters of at most `DIRECT_MAX_TAPS` taps, with `epilogue` added to each value.
 */
export function directConvolve(
  x: Float32Array,
  filter: Float32Array,
  info: backend_util.Conv2DInfo,
  out: Float32Array,
  epilogue?: BiasRelu,
): void {
  const { batchSize, outHeight, outWidth, outChannels: n, inWidth, inChannels: c } = info;
  const { filterHeight, filterWidth, dilationHeight, dilationWidth } = info;
  const k = filterHeight * filterWidth * c;
  if (windows.length < 4 * k) windows = new Float64Array(4 * k);
  if (weights.length < k * n) weights = new Float64Array(k * n);
  if (offsets.length < k) offsets = new Int32Array(k);
  weights.set(filter.subarray(0, k * n));
  for (let fy = 0, t = 0; fy < filterHeight; fy++) {
    for (let fx = 0; fx < filterWidth; fx++) {
      for (let ch = 0; ch < c; ch++)
        offsets[t++] = (fy * dilationHeight * inWidth + fx * dilationWidth) * c + ch;
    }
  }
  const w = windows;
  const bias = epilogue?.bias ?? new Float32Array(n);
  const relu = epilogue?.relu ?? false;
  const pixels = batchSize * outHeight * outWidth;
  const perImage = outHeight * outWidth;
  for (let r = 0; r < pixels; r += 4) {
    const rows = Math.min(4, pixels - r);
    const image = Math.floor(r / perImage);
    const oy = Math.floor((r - image * perImage) / outWidth);
    gatherWindows(x, info, offsets, image, oy, r - image * perImage - oy * outWidth, rows, w);
    productOfWindows(w, weights, k, n, out, r, rows, bias, relu);
  }
}
