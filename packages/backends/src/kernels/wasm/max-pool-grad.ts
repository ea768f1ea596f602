import { backend_util, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import {
  assertFloat32,
  type Backend,
  callKernel,
  constant,
  padOrCrop,
  release,
  reshape,
} from './call-kernel.js';
import { activeThreadPool, threadedMaxPoolGrad } from './threaded/kernels.js';

/**
 * MaxPool's gradient. tfjs-backend-wasm 4.22 registers one, but it routes gradients to the wrong
 * pixels when a window's values are negative (max-pooling raw inputs, or after BatchNormalization or a
 * linear conv; it is right after a ReLU, where values are >= 0), so Strata replaces it.
 *
 * Each window sends dy to the first pixel (row-major) that holds its maximum, as tfjs's cpu kernel does.
 * Windows that do not overlap (stride equal to the pool size, the usual MaxPooling2D) take a fast path
 * of a few whole-tensor wasm ops (see `nonOverlappingMaxPoolGrad`). Otherwise: one strided slice per
 * window tap, a running "already found" mask so only the first maximum is taken, then each tap's share
 * is spread back by the stride and added at its offset (correct, but wasm's StridedSlice is slow).
 */
export const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as unknown as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  assertFloat32('MaxPoolGrad', dy, input);
  const b = backend as Backend;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { filterHeight, filterWidth, padInfo } = info;
  // With threads: one pass per image on Strata's thread pool.
  const threaded = threadedMaxPoolGrad(activeThreadPool(), b, dy, input, info);
  if (threaded !== null) return threaded;
  if (strideHeight === filterHeight && strideWidth === filterWidth) {
    return nonOverlappingMaxPoolGrad(b, dy, input, info);
  }
  // Rows and columns of the padded frame that the windows reach; padding never wins a max.
  const frameHeight = Math.max(
    padInfo.top + inHeight + padInfo.bottom,
    (outHeight - 1) * strideHeight + filterHeight,
  );
  const frameWidth = Math.max(
    padInfo.left + inWidth + padInfo.right,
    (outWidth - 1) * strideWidth + filterWidth,
  );
  const padded = callKernel(
    b,
    'PadV2',
    { x: input },
    {
      paddings: [
        [0, 0],
        [padInfo.top, frameHeight - inHeight - padInfo.top],
        [padInfo.left, frameWidth - inWidth - padInfo.left],
        [0, 0],
      ],
      constantValue: Number.NEGATIVE_INFINITY,
    },
  );
  const taps: TensorInfo[] = [];
  for (let i = 0; i < filterHeight; i++) {
    for (let j = 0; j < filterWidth; j++) {
      taps.push(
        callKernel(
          b,
          'StridedSlice',
          { x: padded },
          {
            begin: [0, i, j, 0],
            end: [
              batchSize,
              i + (outHeight - 1) * strideHeight + 1,
              j + (outWidth - 1) * strideWidth + 1,
              inChannels,
            ],
            strides: [1, strideHeight, strideWidth, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        ),
      );
    }
  }
  release(b, padded);
  let max = reshape(b, taps[0], taps[0].shape);
  for (const tap of taps.slice(1)) {
    const next = callKernel(b, 'Maximum', { a: max, b: tap });
    release(b, max);
    max = next;
  }

  let dxFrame: TensorInfo | undefined;
  let found: TensorInfo | undefined;
  for (let k = 0; k < taps.length; k++) {
    const isMax = callKernel(b, 'Equal', { a: taps[k], b: max });
    let first: TensorInfo;
    if (found) {
      const notFound = callKernel(b, 'LogicalNot', { x: found });
      first = callKernel(b, 'LogicalAnd', { a: isMax, b: notFound });
      const nowFound = callKernel(b, 'LogicalOr', { a: found, b: isMax });
      release(b, notFound, isMax, found);
      found = nowFound;
    } else {
      first = isMax;
      found = reshape(b, isMax, isMax.shape);
    }
    const mask = callKernel(b, 'Cast', { x: first }, { dtype: 'float32' });
    const share = callKernel(b, 'Multiply', { a: dy, b: mask });
    release(b, first, mask);
    const placed = placeOnFrame(
      b,
      share,
      info,
      Math.floor(k / filterWidth),
      k % filterWidth,
      frameHeight,
      frameWidth,
    );
    release(b, share);
    if (dxFrame) {
      const sum = callKernel(b, 'Add', { a: dxFrame, b: placed });
      release(b, dxFrame, placed);
      dxFrame = sum;
    } else {
      dxFrame = placed;
    }
  }
  release(b, max, found!, ...taps);
  const dx = padOrCrop(b, dxFrame!, [
    [0, 0],
    [-padInfo.top, inHeight + padInfo.top - frameHeight],
    [-padInfo.left, inWidth + padInfo.left - frameWidth],
    [0, 0],
  ]);
  release(b, dxFrame!);
  return dx;
};

/**
 * MaxPoolGrad when windows tile the input without overlapping. The padded input is cut to the frame the
 * windows cover and viewed as `[batch, outHeight, filterHeight, outWidth, filterWidth, channels]`, so
 * each window's taps sit on axes 2 and 4 and broadcasting against `[b, oh, 1, ow, 1, c]` tensors reaches
 * them. Only arithmetic kernels, Step and MaxPool are used: wasm's broadcasting comparisons (Equal,
 * Select) are ~300x slower than its broadcasting arithmetic.
 *
 * - `notMax = step(max - x)` is 0 exactly where x equals its window's maximum, else 1.
 * - `score = -(notMax * taps + rank)` with rank the tap's row-major index in the window: the first
 *   maximum has the largest score of its window, and all scores are distinct small integers.
 * - `best = maxPool(score)`; `step(score - best + 0.5)` is 1 at that first maximum only.
 * - dx is that mask times dy, broadcast over the window, put back where the frame sits in the input.
 */
function nonOverlappingMaxPoolGrad(
  b: Backend,
  dy: TensorInfo,
  input: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, padInfo } = info;
  const taps = filterHeight * filterWidth;
  const frameHeight = outHeight * filterHeight;
  const frameWidth = outWidth * filterWidth;
  const frameAmounts: Array<[number, number]> = [
    [0, 0],
    [padInfo.top, frameHeight - inHeight - padInfo.top],
    [padInfo.left, frameWidth - inWidth - padInfo.left],
    [0, 0],
  ];
  // Padding never holds a window's maximum (unless the whole window is -Infinity).
  const frame = padOrCrop(b, input, frameAmounts, Number.NEGATIVE_INFINITY);
  const pool = (x: TensorInfo) =>
    callKernel(
      b,
      'MaxPool',
      { x },
      {
        filterSize: [filterHeight, filterWidth],
        strides: [filterHeight, filterWidth],
        pad: 'valid',
      },
    );
  const windows = [batchSize, outHeight, filterHeight, outWidth, filterWidth, inChannels];
  const perWindow = [batchSize, outHeight, 1, outWidth, 1, inChannels];
  const frameShape = [batchSize, frameHeight, frameWidth, inChannels];

  const max = pool(frame);
  const x6 = reshape(b, frame, windows);
  const max6 = reshape(b, max, perWindow);
  const gap = callKernel(b, 'Sub', { a: max6, b: x6 });
  release(b, frame, max, x6, max6);
  const notMax = callKernel(b, 'Step', { x: gap }, { alpha: 0 });
  release(b, gap);
  const minusTaps = constant(b, [-taps], []);
  const scaled = callKernel(b, 'Multiply', { a: notMax, b: minusTaps });
  release(b, notMax, minusTaps);
  const rank = constant(
    b,
    Array.from({ length: taps }, (_, k) => k),
    [1, 1, filterHeight, 1, filterWidth, 1],
  );
  const score = callKernel(b, 'Sub', { a: scaled, b: rank });
  release(b, scaled, rank);

  const score4 = reshape(b, score, frameShape);
  const best = pool(score4);
  release(b, score4);
  const half = constant(b, [-0.5], []);
  const threshold = callKernel(b, 'Add', { a: best, b: half });
  release(b, best, half);
  const threshold6 = reshape(b, threshold, perWindow);
  const margin = callKernel(b, 'Sub', { a: score, b: threshold6 });
  release(b, score, threshold, threshold6);
  const first = callKernel(b, 'Step', { x: margin }, { alpha: 0 });
  release(b, margin);

  const dy6 = reshape(b, dy, perWindow);
  const dx6 = callKernel(b, 'Multiply', { a: first, b: dy6 });
  release(b, first, dy6);
  const dxFrame = reshape(b, dx6, frameShape);
  release(b, dx6);
  const dx = padOrCrop(
    b,
    dxFrame,
    frameAmounts.map(([before, after]) => [-before, -after]),
  );
  release(b, dxFrame);
  return dx;
}

/**
 * Puts a tap's values, one per window, where that tap sits in the padded frame: row `i + r*strideHeight`
 * for window row r (zeros elsewhere).
 */
function placeOnFrame(
  b: Backend,
  values: TensorInfo,
  info: backend_util.Conv2DInfo,
  i: number,
  j: number,
  frameHeight: number,
  frameWidth: number,
): TensorInfo {
  const { batchSize, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  let spread: TensorInfo;
  if (strideHeight > 1 || strideWidth > 1) {
    const v6 = reshape(b, values, [batchSize, outHeight, 1, outWidth, 1, inChannels]);
    const gapped = padOrCrop(b, v6, [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]);
    spread = reshape(b, gapped, [batchSize, outHeight * strideHeight, outWidth * strideWidth, inChannels]);
    release(b, v6, gapped);
  } else {
    spread = reshape(b, values, values.shape);
  }
  const placed = padOrCrop(b, spread, [
    [0, 0],
    [i, frameHeight - i - spread.shape[1]],
    [j, frameWidth - j - spread.shape[2]],
    [0, 0],
  ]);
  release(b, spread);
  return placed;
}

export const maxPoolGradFix: KernelFix = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  mode: 'replace',
  create: () => ({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad }),
};
