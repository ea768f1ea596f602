import type { KernelFix } from '../../kernel-fixes.js';
import { wasmAdamUpdateFix } from './adam-update.js';
import { batchMatMulFix } from './batch-mat-mul.js';
import { conv2dFix, fusedConv2dFix } from './conv2d.js';
import { conv2dBackpropFilterFix } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputFix } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterFix } from './depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputFix } from './depthwise-conv2d-native-backprop-input.js';
import { fusedMatMulFix } from './fused-mat-mul.js';
import { maxPoolGradFix } from './max-pool-grad.js';
import { reverseFix } from './reverse.js';
import { sliceFix } from './slice.js';
import { splitVFix } from './split-v.js';
import { sumFix } from './sum.js';
import { tanhFix } from './tanh.js';
import { unsortedSegmentSumFix } from './unsorted-segment-sum.js';

/**
 * Everything Strata adds to tfjs-backend-wasm: faster matMul gradients, the missing depthwise/conv filter
 * gradients, UnsortedSegmentSum (Gather's gradient), a correct and fast MaxPoolGrad, and faster
 * Conv2DBackpropInput and leading-axes Sum (a conv layer's input and bias gradients), and a Slice and SplitV
 * that copy only the slice (batches taken from a large tensor, an RNN's timesteps and gates), and a Tanh
 * built on the vectorised Sigmoid, and a Reverse that handles bool tensors (an RNN's mask with goBackwards)
 * without corrupting the heap; a fused matMul takes a rank-1 bias that is a view of a bigger weight; and
 * `StrataAdamUpdate`, Adam's update in one pass (used by `@strata/optimizers`' Adam when registered). With
 * threads (`setWasmThreads`), products and convolutions run on Strata's threaded GEMM (threaded/).
 */
export const wasmKernelFixes: readonly KernelFix[] = [
  batchMatMulFix,
  fusedMatMulFix,
  conv2dFix,
  fusedConv2dFix,
  conv2dBackpropFilterFix,
  conv2dBackpropInputFix,
  depthwiseConv2dNativeBackpropFilterFix,
  depthwiseConv2dNativeBackpropInputFix,
  maxPoolGradFix,
  unsortedSegmentSumFix,
  sumFix,
  sliceFix,
  splitVFix,
  tanhFix,
  reverseFix,
  wasmAdamUpdateFix,
];

export { withoutTransposes } from './batch-mat-mul.js';
export { conv2dBackpropFilter } from './conv2d-backprop-filter.js';
export { conv2dBackpropInput } from './conv2d-backprop-input.js';
export { depthwiseConv2dNativeBackpropFilter } from './depthwise-conv2d-native-backprop-filter.js';
export { depthwiseConv2dNativeBackpropInput } from './depthwise-conv2d-native-backprop-input.js';
export { maxPoolGrad } from './max-pool-grad.js';
export { heapSlice } from './slice.js';
export { leadingAxesSum } from './sum.js';
export { unsortedSegmentSum } from './unsorted-segment-sum.js';
