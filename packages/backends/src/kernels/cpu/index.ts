import type { KernelFix } from '../../kernel-fixes.js';
import { cpuAdamUpdateFix } from './adam-update.js';
import {
  cpuConv2dBackpropFilterFix,
  cpuConv2dBackpropInputFix,
  cpuConv2dFix,
  cpuFusedConv2dFix,
} from './conv2d.js';
import { cpuAddFix, cpuMultiplyFix, cpuReluFix, cpuStepFix } from './elementwise.js';
import { cpuBatchMatMulFix, cpuFusedMatMulFix } from './mat-mul.js';
import { withOutputPool } from './output-pool.js';
import { cpuMaxPoolFix, cpuMaxPoolGradFix } from './pooling.js';
import { cpuSumFix } from './sum.js';

/**
 * What Strata changes in tfjs-backend-cpu: a matrix product ~7x faster than tfjs's (Dense, its
 * gradients, and every composite built on it), convolutions and both their gradients on the same
 * product (im2col; 3x3 stride-1 convolutions and both their gradients as Winograd's minimal filtering,
 * F(2x2, 3x3) to F(6x6, 3x3); forward convolutions of at most 32 taps directly, bias and relu added as outputs are
 * stored), MaxPool, its gradient and bias-gradient sums in one pass each, the element-wise kernels of a convolution's
 * training step (bias `Add`, `Relu`, relu's gradient `Step` and `Multiply`) in one loop each, and
 * `StrataAdamUpdate`, Adam's update in one pass (used by `@strata/optimizers`' Adam when registered).
 * Their outputs reuse the arrays of freed outputs where that is safe (`output-pool.ts`).
 */
export const cpuKernelFixes: readonly KernelFix[] = [
  cpuBatchMatMulFix,
  cpuFusedMatMulFix,
  cpuConv2dFix,
  cpuFusedConv2dFix,
  cpuConv2dBackpropInputFix,
  cpuConv2dBackpropFilterFix,
  cpuMaxPoolFix,
  cpuMaxPoolGradFix,
  cpuSumFix,
  cpuAddFix,
  cpuMultiplyFix,
  cpuReluFix,
  cpuStepFix,
  cpuAdamUpdateFix,
].map(withOutputPool);
