import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { assertFloat32, type Backend, callKernel, release, reshape, transpose } from './call-kernel.js';
import { spreadAndPad } from './spread.js';

/**
 * Conv2D's input gradient. tfjs-backend-wasm 4.22 has one, but it is a plain C++ loop: ~15x slower than
 * its forward Conv2D (XNNPACK) on the MNIST convnet's second layer. Strata replaces it with a forward
 * Conv2D: dy spread by the stride and padded (`spreadAndPad`), convolved at stride 1 with the filter
 * flipped in space and with its in/out channel axes swapped.
 */
export const conv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as Conv2DBackpropInputAttrs;
  assertFloat32('Conv2DBackpropInput', dy, filter);
  const b = backend as Backend;
  const channelsFirst = dataFormat === 'NCHW';
  // Work in NHWC, the only layout wasm's kernels take.
  const [n, d1, d2, d3] = inputShape;
  const shapeNhwc: [number, number, number, number] = channelsFirst ? [n, d2, d3, d1] : [n, d1, d2, d3];
  const dyNhwc = channelsFirst ? transpose(b, dy, [0, 2, 3, 1]) : reshape(b, dy, dy.shape);
  const info = backend_util.computeConv2DInfo(
    shapeNhwc,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const padded = spreadAndPad(b, dyNhwc, info);
  const flipped = callKernel(b, 'Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = transpose(b, flipped, [0, 1, 3, 2]);
  const dx = callKernel(
    b,
    'Conv2D',
    { x: padded, filter: swapped },
    { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' },
  );
  release(b, dyNhwc, padded, flipped, swapped);
  if (!channelsFirst) return dx;
  const dxNchw = transpose(b, dx, [0, 3, 1, 2]);
  release(b, dx);
  return dxNchw;
};

export const conv2dBackpropInputFix: KernelFix = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  mode: 'replace',
  create: () => ({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropInput,
  }),
};
