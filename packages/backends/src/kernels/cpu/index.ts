import type { KernelFix } from '../../kernel-fixes.js';
import { cpuConv2dBackpropFilterFix } from './conv2d-backprop-filter.js';

/** What Strata changes in tfjs-backend-cpu: a conv filter gradient fast enough to train a small CNN. */
export const cpuKernelFixes: readonly KernelFix[] = [cpuConv2dBackpropFilterFix];
