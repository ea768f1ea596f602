import {
  backend_util,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { assertFloat32, type Backend, callKernel, padOrCrop, release, reshape } from './call-kernel.js';

/**
 * The input gradient of DepthwiseConv2D, missing from tfjs-backend-wasm 4.22: a transposed depthwise
 * convolution, run as a forward one (wasm's fast DepthwiseConv2dNative). dy is spread out by the
 * stride (zeros between rows and columns), padded so every input position sees the taps that read it,
 * and convolved at stride 1 with the spatially flipped filter; each of the `multiplier` output channels
 * of an input channel is convolved separately and the results summed.
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  assertFloat32('DepthwiseConv2dNativeBackpropInput', dy, filter);
  const b = backend as Backend;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, filterHeight, filterWidth, padInfo } = info;
  const multiplier = filter.shape[3];
  const channels = inChannels * multiplier;

  // Spread dy by the stride: [b, oh, 1, ow, 1, c] padded to [b, oh, sh, ow, sw, c] leaves each value
  // followed by stride-1 zeros.
  let spread: TensorInfo;
  if (strideHeight > 1 || strideWidth > 1) {
    const dy6d = reshape(b, dy, [batchSize, outHeight, 1, outWidth, 1, channels]);
    const gapped = padOrCrop(b, dy6d, [
      [0, 0],
      [0, 0],
      [0, strideHeight - 1],
      [0, 0],
      [0, strideWidth - 1],
      [0, 0],
    ]);
    spread = reshape(b, gapped, [batchSize, outHeight * strideHeight, outWidth * strideWidth, channels]);
    release(b, dy6d, gapped);
  } else {
    spread = reshape(b, dy, dy.shape);
  }
  // Input row h receives tap i from output row (h + top - i*dilation) / stride; after flipping the filter
  // that is a valid convolution over the spread dy padded by (effective filter size - 1 - top) above.
  const effectiveHeight = (filterHeight - 1) * dilationHeight + 1;
  const effectiveWidth = (filterWidth - 1) * dilationWidth + 1;
  const top = effectiveHeight - 1 - padInfo.top;
  const left = effectiveWidth - 1 - padInfo.left;
  const bottom = inHeight + effectiveHeight - 1 - top - spread.shape[1];
  const right = inWidth + effectiveWidth - 1 - left - spread.shape[2];
  const padded = padOrCrop(b, spread, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
  const flipped = callKernel(b, 'Reverse', { x: filter }, { dims: [0, 1] });
  const perChannel = reshape(b, flipped, [filterHeight, filterWidth, channels, 1]);
  const conv = callKernel(
    b,
    'DepthwiseConv2dNative',
    { x: padded, filter: perChannel },
    { strides: [1, 1], pad: 'valid', dilations: [dilationHeight, dilationWidth], dataFormat: 'NHWC' },
  );
  release(b, spread, padded, flipped, perChannel);
  if (multiplier === 1) return conv;
  const split = reshape(b, conv, [batchSize, inHeight, inWidth, inChannels, multiplier]);
  const out = callKernel(b, 'Sum', { x: split }, { axis: [4], keepDims: false });
  release(b, conv, split);
  return out;
};

export const depthwiseConv2dNativeBackpropInputFix: KernelFix = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  mode: 'fill',
  create: () => ({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: depthwiseConv2dNativeBackpropInput,
  }),
};
