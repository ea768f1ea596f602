import type { KernelFix } from '../../kernel-fixes.js';
import { conv2dBackpropFilterIm2col } from '../wasm/conv2d-backprop-filter.js';

/**
 * tfjs-backend-cpu 4.22's Conv2DBackpropFilter walks the tensors element by element through
 * TensorBuffer.get: ~14 s per step for the MNIST convnet at batch 8, 35x its forward conv. The im2col +
 * matMul composite written for wasm runs on cpu's own kernels too, ~13x faster, with the same results.
 */
export const cpuConv2dBackpropFilterFix: KernelFix = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'cpu',
  mode: 'replace',
  create: () => ({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    kernelFunc: conv2dBackpropFilterIm2col,
  }),
};
