import {
  backend_util,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { assertFloat32, type Backend, callKernel, release, reshape } from './call-kernel.js';
import { spreadAndPad } from './spread.js';

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
  const { batchSize, inHeight, inWidth, inChannels, dilationHeight, dilationWidth } = info;
  const { filterHeight, filterWidth } = info;
  const multiplier = filter.shape[3];
  const channels = inChannels * multiplier;

  const padded = spreadAndPad(b, dy, info);
  const flipped = callKernel(b, 'Reverse', { x: filter }, { dims: [0, 1] });
  const perChannel = reshape(b, flipped, [filterHeight, filterWidth, channels, 1]);
  const conv = callKernel(
    b,
    'DepthwiseConv2dNative',
    { x: padded, filter: perChannel },
    { strides: [1, 1], pad: 'valid', dilations: [dilationHeight, dilationWidth], dataFormat: 'NHWC' },
  );
  release(b, padded, flipped, perChannel);
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
