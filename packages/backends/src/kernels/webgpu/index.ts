import type { KernelFix } from '../../kernel-fixes.js';
import { webgpuAdamUpdateFix } from './adam-update.js';

/**
 * What Strata adds to tfjs-backend-webgpu: Adam's update in three compute passes (`StrataAdamUpdate`, as
 * on cpu, wasm and webgl). The browser test found no training kernel missing or wrong on webgpu 4.22;
 * webgl's faster filter gradient (a convolution over the batch) was slower than tfjs-webgpu's own here.
 */
export const webgpuKernelFixes: readonly KernelFix[] = [webgpuAdamUpdateFix];
