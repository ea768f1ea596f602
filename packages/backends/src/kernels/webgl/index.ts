import type { KernelFix } from '../../kernel-fixes.js';
import { webglConv2dBackpropFilterFix } from './conv2d-backprop-filter.js';

/**
 * What Strata changes in tfjs-backend-webgl: a conv filter gradient built on webgl's im2col convolution,
 * ~4x faster than tfjs's per-value loop (the largest cost of training a CNN there).
 */
export const webglKernelFixes: readonly KernelFix[] = [webglConv2dBackpropFilterFix];
