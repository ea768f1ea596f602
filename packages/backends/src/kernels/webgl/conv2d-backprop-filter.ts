import type { Conv2DBackpropFilterAttrs, KernelFunc } from '@tensorflow/tfjs-core';
import type { KernelFix } from '../../kernel-fixes.js';
import { type Backend, release } from '../wasm/call-kernel.js';
import {
  batchConvolutionGradient,
  prepareFilterGradient,
  readFrame,
} from '../wasm/conv2d-backprop-filter.js';

/**
 * tfjs-backend-webgl 4.22 computes each filter-gradient value in one fragment that loops over the whole
 * batch and output image (15,488 iterations of two texel reads for the MNIST convnet's second layer at
 * batch 128, with only 18,432 such values to spread over the GPU): 2.8 s per step on SwiftShader, 75% of
 * the CNN's step. The same gradient is a convolution over the batch (see the wasm kernel), which webgl's
 * own Conv2D runs as im2col + a packed matMul: 0.6 s there, with the same values (the sums run in the same
 * order). The first layer's (1 input channel) drops from 0.31 to 0.12 s.
 */
export const webglConv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as Backend;
  const { x, dy, info } = prepareFilterGradient(b, inputs, attrs as unknown as Conv2DBackpropFilterAttrs);
  const frame = readFrame(b, x, info);
  const grad = batchConvolutionGradient(b, frame, dy, info);
  release(b, x, dy, frame);
  return grad;
};

export const webglConv2dBackpropFilterFix: KernelFix = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'webgl',
  mode: 'replace',
  create: () => ({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'webgl',
    kernelFunc: webglConv2dBackpropFilter,
  }),
};
