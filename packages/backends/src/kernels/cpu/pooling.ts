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

// Per-channel running maxima of one window, grown on demand and reused: kernels run one at a time.
let best: Float64Array = new Float64Array(0);
let bestAt: Int32Array = new Int32Array(0);

/**
 * MaxPool on NHWC values into `out`: the largest value of each window, ignoring NaN (-Infinity when a
 * window has nothing else), as tfjs-backend-cpu computes it. Why hand-written: tfjs-backend-cpu 4.22 walks one
 * channel at a time, reading NHWC memory `channels` floats apart; here each window's taps are read
 * with all their channels together, contiguously.
 */
export function maxPoolValues(
  x: Float32Array,
  info: backend_util.Conv2DInfo,
  out: Float32Array,
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth, padInfo } = info;
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
