import type { KernelFix } from '../../kernel-fixes.js';
import { cpuConv2dBackpropFilterFix } from './conv2d-backprop-filter.js';
import { cpuBatchMatMulFix, cpuFusedMatMulFix } from './mat-mul.js';

/**
 * What Strata changes in tfjs-backend-cpu: a matrix product ~7x faster than tfjs's (Dense, its
 * gradients, and every composite built on it), and a conv filter gradient fast enough to train a small CNN.
 */
export const cpuKernelFixes: readonly KernelFix[] = [
  cpuBatchMatMulFix,
  cpuFusedMatMulFix,
  cpuConv2dBackpropFilterFix,
];
