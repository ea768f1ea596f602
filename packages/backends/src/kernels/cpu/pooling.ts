import {
  backend_util,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import type { Backend } from '../wasm/call-kernel.js';
import { floatFix } from './float-fix.js';
import { type CpuData, valuesOf } from './mat-mul.js';
import { outputArray } from './output-pool.js';

// Per-channel running maxima of one window (as floats or as ordered bits) and where they are, grown on
// demand and reused: kernels run one at a time.
let best: Float64Array = new Float64Array(0);
let bestAt: Int32Array = new Int32Array(0);
// Where each tap of a window is, relative to its first value.
let tapAt: Int32Array = new Int32Array(0);

/**
 * A float32's bits as an int32 whose order is the floats' order (-0 just below +0): negative floats'
 * magnitude bits are flipped. The map is its own inverse.
 */
const ordered = (bits: number) => bits ^ ((bits >> 31) & 0x7fffffff);
/** `ordered` of +Infinity and -Infinity: anything outside is NaN. */
const ORDERED_INFINITY = 0x7f800000;
const ORDERED_MINUS_INFINITY = ordered(0xff800000 | 0);

/**
 * The largest value of each channel over the `taps` taps of the window whose first value is `x[at]`,
 * ignoring NaN (-Infinity when all are), as tfjs-backend-cpu computes it, written to `outBits[o ..
 * o + c]` as float32 bits (`bits` is `x`'s memory as int32).
 *
 * Why on bits: a compare-and-select per value mispredicts about half the time on a layer's outputs,
 * which made MaxPool ~130 ms of CPU on the MNIST convnet's first pooling at batch 1,000. Here the
 * running maxima are taken without a branch on the values: on the ordered integers,
 * `max(m, v) = m - min(m - v, 0)` and `min(t, 0) = (t - |t|) / 2`, exact in doubles (|t| < 2^33).
 * NaN orders above +Infinity (or below -Infinity with the sign bit set), so a channel that met one is
 * recomputed the plain way.
 */
function windowMaxima(
  x: Float32Array,
  bits: Int32Array,
  at: number,
  taps: number,
  c: number,
  outBits: Int32Array,
  o: number,
): void {
  // Module-level scratch read through locals: V8 reloads a module's `let` bindings on every access.
  const running = best;
  const offsets = tapAt;
  if (taps === 4) {
    // A 2x2 window (MaxPooling2D's default): one pass over the channels.
    const at1 = at + offsets[1];
    const at2 = at + offsets[2];
    const at3 = at + offsets[3];
    for (let d = 0; d < c; d++) {
      let m = ordered(bits[at + d]);
      let diff = m - ordered(bits[at1 + d]);
      m -= (diff - Math.abs(diff)) * 0.5;
      diff = m - ordered(bits[at2 + d]);
      m -= (diff - Math.abs(diff)) * 0.5;
      diff = m - ordered(bits[at3 + d]);
      m -= (diff - Math.abs(diff)) * 0.5;
      outBits[o + d] = isOrderedNumber(m) ? ordered(m) : plainMax(x, at + d, taps);
    }
    return;
  }
  for (let d = 0; d < c; d++) running[d] = ordered(bits[at + d]);
  for (let t = 1; t < taps; t++) {
    const from = at + offsets[t];
    for (let d = 0; d < c; d++) {
      const m = running[d];
      const diff = m - ordered(bits[from + d]);
      running[d] = m - (diff - Math.abs(diff)) * 0.5;
    }
  }
  for (let d = 0; d < c; d++) {
    const m = running[d];
    outBits[o + d] = isOrderedNumber(m) ? ordered(m) : plainMax(x, at + d, taps);
  }
}

/**
 * A 2x2 window's maxima when none of its values has the sign bit set (a relu's outputs, which MaxPool
 * mostly follows), written to `outBits[o .. o + c]`; false, with the outputs to be rewritten, when one
 * has it or a maximum is NaN.
 *
 * Why: the float32 bits of values from +0 to +Infinity are ordered as int32s and their differences fit
 * in an int32, so `max(m, v) = m - (t & (t >> 31))` with `t = m - v` is exact in int32 arithmetic: no
 * conversions to double and no branch on the values (the MNIST convnet's first pooling at batch 1,000,
 * on a relu's outputs: 49 ms of CPU the general way, 31-46 ms this way). The sign bits of all four taps
 * are OR-ed as the maxima are taken, and the window is rejected after the fact: one predictable branch
 * per window.
 */
function nonNegativeMaxima(
  bits: Int32Array,
  at0: number,
  at1: number,
  at2: number,
  at3: number,
  c: number,
  outBits: Int32Array,
  o: number,
): boolean {
  let signs = 0;
  let nan = 0;
  for (let d = 0; d < c; d++) {
    const v0 = bits[at0 + d];
    const v1 = bits[at1 + d];
    const v2 = bits[at2 + d];
    const v3 = bits[at3 + d];
    signs |= v0 | v1 | v2 | v3;
    let t = (v0 - v1) | 0;
    let m = (v0 - (t & (t >> 31))) | 0;
    t = (m - v2) | 0;
    m = (m - (t & (t >> 31))) | 0;
    t = (m - v3) | 0;
    m = (m - (t & (t >> 31))) | 0;
    // Above +Infinity's bits is NaN.
    nan |= (ORDERED_INFINITY - m) | 0;
    outBits[o + d] = m;
  }
  return (signs | nan) >= 0;
}

/** Whether ordered bits `m` are a number (not NaN): between -Infinity's and +Infinity's. */
const isOrderedNumber = (m: number) => m <= ORDERED_INFINITY && m >= ORDERED_MINUS_INFINITY;

/** The float32 bits of the largest of `x[at + tapAt[t]]`, NaN skipped, by plain comparisons. */
function plainMax(x: Float32Array, at: number, taps: number): number {
  let plain = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < taps; t++) if (x[at + tapAt[t]] > plain) plain = x[at + tapAt[t]];
  return new Int32Array(Float32Array.of(plain).buffer)[0];
}

/**
 * MaxPool on NHWC values into `out`: the largest value of each window, ignoring NaN (-Infinity when a
 * window has nothing else), as tfjs-backend-cpu computes it. Why hand-written: tfjs-backend-cpu 4.22 walks one
 * channel at a time, reading NHWC memory `channels` floats apart; here each window's taps are read
 * with all their channels together, contiguously, and windows inside the input without a branch on
 * the values (`windowMaxima`).
 */
export function maxPoolValues(
  x: Float32Array,
  info: backend_util.Conv2DInfo,
  out: Float32Array,
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;
  const taps = filterHeight * filterWidth;
  if (tapAt.length < taps) tapAt = new Int32Array(taps);
  if (best.length < c) {
    best = new Float64Array(c);
    bestAt = new Int32Array(c);
  }
  for (let fy = 0; fy < filterHeight; fy++) {
    for (let fx = 0; fx < filterWidth; fx++) tapAt[fy * filterWidth + fx] = (fy * inWidth + fx) * c;
  }
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight;
    // 2x2 windows try int32 maxima until one is rejected, then the rest of the image goes the general
    // way: an input of both signs wastes one window per image, a relu's output wastes none.
    let ints = taps === 4;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padInfo.top;
      const y0 = Math.max(0, top);
      const y1 = Math.min(inHeight, top + filterHeight);
      for (let ox = 0; ox < outWidth; ox++, o += c) {
        const left = ox * strideWidth - padInfo.left;
        const x0 = Math.max(0, left);
        const x1 = Math.min(inWidth, left + filterWidth);
        if (y1 - y0 === filterHeight && x1 - x0 === filterWidth && taps > 0) {
          const at = ((image + y0) * inWidth + x0) * c;
          if (ints && nonNegativeMaxima(bits, at, at + tapAt[1], at + tapAt[2], at + tapAt[3], c, outBits, o))
            continue;
          ints = false;
          windowMaxima(x, bits, at, taps, c, outBits, o);
          continue;
        }
        // A window over the input's edge: only its taps inside.
        out.fill(Number.NEGATIVE_INFINITY, o, o + c);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const at = ((image + iy) * inWidth + ix) * c;
            for (let d = 0; d < c; d++) if (x[at + d] > out[o + d]) out[o + d] = x[at + d];
          }
        }
      }
    }
  }
  return out;
}

/**
 * MaxPool's gradient on NHWC values, added to `dx` (zero-filled by the caller): each window sends its dy
 * to the first pixel (row-major) holding its maximum, and nothing when no pixel beats -Infinity (all
 * NaN), as tfjs-backend-cpu decides.
 *
 * Why hand-written: tfjs-backend-cpu 4.22 reads every dy through TensorBuffer.get, per input pixel and
 * window tap; after the convolutions moved to the GEMM it was ~45% of the MNIST convnet's training step.
 * Here the windows are walked once, all channels of a tap together (contiguous in NHWC).
 */
export function maxPoolGradValues(
  dy: Float32Array,
  x: Float32Array,
  info: backend_util.Conv2DInfo,
  dx: Float32Array,
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;
  if (best.length < c) {
    best = new Float64Array(c);
    bestAt = new Int32Array(c);
  }
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight;
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * strideHeight - padInfo.top;
      const y0 = Math.max(0, top);
      const y1 = Math.min(inHeight, top + filterHeight);
      for (let ox = 0; ox < outWidth; ox++, o += c) {
        const left = ox * strideWidth - padInfo.left;
        const x0 = Math.max(0, left);
        const x1 = Math.min(inWidth, left + filterWidth);
        best.fill(Number.NEGATIVE_INFINITY, 0, c);
        bestAt.fill(-1, 0, c);
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const at = ((image + iy) * inWidth + ix) * c;
            for (let d = 0; d < c; d++) {
              if (x[at + d] > best[d]) {
                best[d] = x[at + d];
                bestAt[d] = at + d;
              }
            }
          }
        }
        for (let d = 0; d < c; d++) if (bestAt[d] >= 0) dx[bestAt[d]] += dy[o + d];
      }
    }
  }
  return dx;
}

export const cpuMaxPoolFix = floatFix(
  'MaxPool',
  ({ inputs, backend, attrs }) => {
    const { x } = inputs as unknown as { x: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolAttrs;
    const b = backend as Backend;
    const info = backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const out = outputArray(b, util.sizeFromShape(info.outShape));
    maxPoolValues(valuesOf(b, x), info, out);
    return (b as unknown as CpuData).makeTensorInfo(info.outShape, 'float32', out);
  },
  ['x'],
);

export const cpuMaxPoolGradFix = floatFix(
  'MaxPoolGrad',
  ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as unknown as { dy: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
    const b = backend as Backend;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const dx = outputArray(b, util.sizeFromShape(input.shape), true);
    maxPoolGradValues(valuesOf(b, dy), valuesOf(b, input), info, dx);
    return (b as unknown as CpuData).makeTensorInfo(input.shape.slice(), 'float32', dx);
  },
  ['dy', 'input'],
);
