import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { KernelFix } from '../../kernel-fixes.js';
import {
  assertFloat32,
  type Backend,
  callKernel,
  constant,
  matMul,
  padOrCrop,
  release,
  reshape,
  transpose,
} from './call-kernel.js';
import { activeThreadPool, threadedConv2DFilterGradient } from './threaded/kernels.js';

/** NHWC views of `x` and `dy` and the convolution's geometry, shared by both composites. */
export function prepareFilterGradient(
  b: Backend,
  inputs: NamedTensorInfoMap,
  attrs: Conv2DBackpropFilterAttrs,
): { x: TensorInfo; dy: TensorInfo; info: backend_util.Conv2DInfo } {
  const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  assertFloat32('Conv2DBackpropFilter', x, dy);
  const channelsFirst = dataFormat === 'NCHW';
  // Work in NHWC, the only layout wasm's kernels take.
  const xNhwc = channelsFirst ? transpose(b, x, [0, 2, 3, 1]) : reshape(b, x, x.shape);
  const dyNhwc = channelsFirst ? transpose(b, dy, [0, 2, 3, 1]) : reshape(b, dy, dy.shape);
  const info = backend_util.computeConv2DInfo(
    xNhwc.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return { x: xNhwc, dy: dyNhwc, info };
}

/**
 * The filter gradient of Conv2D, missing from tfjs-backend-wasm 4.22 (so CNNs could not train there).
 * Every step is a fast wasm kernel (XNNPACK convolution or matMul, Transpose, PadV2); wasm's StridedSlice
 * and Concat, which a slice-based im2col needs, are slow (a JS copy per row), so neither is used.
 *
 * - Few filter taps (`kh * kw * inChannels <= 64`, e.g. a first layer on grayscale or RGB images): the
 *   patches come from one Conv2D with a one-hot filter (output channel t copies tap t), then
 *   dW = patchesᵀ · dy with one plain matMul.
 * - Otherwise the gradient is itself a convolution over the batch: with x as `[inChannels, H, W, batch]`
 *   and dy as the filter `[outHeight, outWidth, batch, outChannels]`, a valid convolution dilated by the
 *   forward stride gives `[inChannels, kh, kw, outChannels]`.
 */
export const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { x, dy, info } = prepareFilterGradient(b, inputs, attrs as unknown as Conv2DBackpropFilterAttrs);
  // With threads: im2col and patchesᵀ · dy on Strata's thread pool.
  const threaded = threadedConv2DFilterGradient(activeThreadPool(), b, x, dy, info);
  if (threaded !== null) {
    release(b, x, dy);
    return threaded;
  }
  const { filterHeight, filterWidth, inChannels } = info;
  const frame = readFrame(b, x, info);
  release(b, x);
  const grad =
    filterHeight * filterWidth * inChannels <= 64
      ? oneHotPatchesGradient(b, frame, dy, info)
      : batchConvolutionGradient(b, frame, dy, info);
  release(b, frame, dy);
  return grad;
};

function oneHotPatchesGradient(
  b: Backend,
  frame: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, inChannels, outChannels } = info;
  const taps = filterHeight * filterWidth * inChannels;
  // Filter [kh, kw, in, taps]: output channel t = (i * kw + j) * in + c reads tap (i, j) of channel c,
  // the order of a flattened [kh, kw, in] filter.
  const oneHot = new Float32Array(taps * taps);
  for (let t = 0; t < taps; t++) oneHot[t * taps + t] = 1;
  const selector = constant(b, oneHot, [filterHeight, filterWidth, inChannels, taps]);
  const patches = callKernel(
    b,
    'Conv2D',
    { x: frame, filter: selector },
    {
      strides: [info.strideHeight, info.strideWidth],
      pad: 'valid',
      dilations: [1, 1],
      dataFormat: 'NHWC',
    },
  );
  const rows = batchSize * outHeight * outWidth;
  const patches2d = reshape(b, patches, [rows, taps]);
  const patchesT = transpose(b, patches2d, [1, 0]);
  const dy2d = reshape(b, dy, [rows, outChannels]);
  const grad = matMul(b, patchesT, dy2d);
  const out = reshape(b, grad, [filterHeight, filterWidth, inChannels, outChannels]);
  release(b, selector, patches, patches2d, patchesT, dy2d, grad);
  return out;
}

/** The part of the padded input the windows read: exactly what a valid convolution needs. */
export function readFrame(b: Backend, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { inHeight, inWidth, padInfo } = info;
  const frameHeight = (outHeight - 1) * strideHeight + filterHeight;
  const frameWidth = (outWidth - 1) * strideWidth + filterWidth;
  return padOrCrop(b, x, [
    [0, 0],
    [padInfo.top, frameHeight - inHeight - padInfo.top],
    [padInfo.left, frameWidth - inWidth - padInfo.left],
    [0, 0],
  ]);
}

export function batchConvolutionGradient(
  b: Backend,
  frame: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const xT = transpose(b, frame, [3, 1, 2, 0]);
  const dyT = transpose(b, dy, [1, 2, 0, 3]);
  const gradT = callKernel(
    b,
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: 'valid',
      dilations: [info.strideHeight, info.strideWidth],
      dataFormat: 'NHWC',
    },
  );
  const out = transpose(b, gradT, [1, 2, 0, 3]);
  release(b, xT, dyT, gradT);
  return out;
}

export const conv2dBackpropFilterFix: KernelFix = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  mode: 'fill',
  create: () => ({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilter,
  }),
};
