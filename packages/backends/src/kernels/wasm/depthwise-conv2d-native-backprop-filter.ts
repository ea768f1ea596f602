import {
  backend_util,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { assertFloat32, type Backend, matMul, release, reshape, transpose } from './call-kernel.js';
import { im2col } from './im2col.js';

/**
 * The filter gradient of DepthwiseConv2D, missing from tfjs-backend-wasm 4.22. For each input channel c,
 * dW[:, c, :] = patches(x)[:, :, c]ᵀ · dy[:, c, :]: one batched matMul over channels, operands laid out
 * by transposes so the matMul itself runs untransposed.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  assertFloat32('DepthwiseConv2dNativeBackpropFilter', x, dy);
  const b = backend as Backend;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, inChannels } = info;
  const multiplier = filterShape[3];
  const rows = batchSize * outHeight * outWidth;
  const taps = filterHeight * filterWidth;

  const cols = im2col(b, x, info);
  const patches = reshape(b, cols, [rows, taps, inChannels]);
  const patchesByChannel = transpose(b, patches, [2, 1, 0]); // [in, taps, rows]
  const dy3d = reshape(b, dy, [rows, inChannels, multiplier]);
  const dyByChannel = transpose(b, dy3d, [1, 0, 2]); // [in, rows, multiplier]
  const grad = matMul(b, patchesByChannel, dyByChannel); // [in, taps, multiplier]
  const gradTapsFirst = transpose(b, grad, [1, 0, 2]);
  const out = reshape(b, gradTapsFirst, [filterHeight, filterWidth, inChannels, multiplier]);
  release(b, cols, patches, patchesByChannel, dy3d, dyByChannel, grad, gradTapsFirst);
  return out;
};

export const depthwiseConv2dNativeBackpropFilterFix: KernelFix = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  mode: 'fill',
  create: () => ({
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: depthwiseConv2dNativeBackpropFilter,
  }),
};
