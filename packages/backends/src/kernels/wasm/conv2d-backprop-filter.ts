import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { KernelFix } from '../../kernel-fixes.js';
import { assertFloat32, type Backend, matMul, release, reshape, transpose } from './call-kernel.js';
import { im2col } from './im2col.js';

/**
 * The filter gradient of Conv2D, missing from tfjs-backend-wasm 4.22 (so CNNs could not train there).
 * dW = patches(x)ᵀ · dy, with the patches from im2col and one plain (untransposed) wasm matMul; the
 * transpose goes on the smaller of the two operands.
 */
export const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  assertFloat32('Conv2DBackpropFilter', x, dy);
  const b = backend as Backend;
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
  const filterGrad = filterGradient(b, xNhwc, dyNhwc, info);
  release(b, xNhwc, dyNhwc);
  return filterGrad;
};

function filterGradient(
  b: Backend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, inChannels, outChannels } = info;
  const rows = batchSize * outHeight * outWidth;
  const taps = filterHeight * filterWidth * inChannels;
  const cols = im2col(b, x, info);
  const patches = reshape(b, cols, [rows, taps]);
  const dy2d = reshape(b, dy, [rows, outChannels]);
  release(b, cols);
  let grad: TensorInfo;
  if (taps <= outChannels) {
    const patchesT = transpose(b, patches, [1, 0]);
    grad = matMul(b, patchesT, dy2d);
    release(b, patchesT);
  } else {
    const dyT = transpose(b, dy2d, [1, 0]);
    const gradT = matMul(b, dyT, patches);
    grad = transpose(b, gradT, [1, 0]);
    release(b, dyT, gradT);
  }
  const out = reshape(b, grad, [filterHeight, filterWidth, inChannels, outChannels]);
  release(b, patches, dy2d, grad);
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
