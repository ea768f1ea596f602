import type { KernelFix } from '../../kernel-fixes.js';
import { batchMatMulFix } from './batch-mat-mul.js';

/**
 * `tf.fused.matMul` (Dense with a bias and activation) runs this kernel with the same transpose flags,
 * and hits the same slow wasm path; the same wrapper fixes it.
 */
export const fusedMatMulFix: KernelFix = { ...batchMatMulFix, kernelName: '_FusedMatMul' };
