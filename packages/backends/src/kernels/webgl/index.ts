import type { KernelFix } from '../../kernel-fixes.js';
import { webglAdamUpdateFix } from './adam-update.js';
import { webglConv2dBackpropFilterFix } from './conv2d-backprop-filter.js';

/**
 * What Strata changes in tfjs-backend-webgl: a conv filter gradient built on webgl's im2col convolution,
 * ~4x faster than tfjs's per-value loop (the largest cost of training a CNN there), and Adam's update in
 * three shader passes (`StrataAdamUpdate`, as on cpu and wasm).
 */
export const webglKernelFixes: readonly KernelFix[] = [webglConv2dBackpropFilterFix, webglAdamUpdateFix];
