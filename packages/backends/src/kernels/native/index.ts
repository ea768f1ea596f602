import type { KernelFix } from '../../kernel-fixes.js';
import { floatFix } from '../cpu/float-fix.js';
import { nativeAdamUpdateFix } from './adam-update.js';
import {
  conv2dBackpropFilterNative,
  conv2dBackpropInputNative,
  conv2dNative,
  fusedConv2dNative,
} from './conv2d.js';
import { binaryNative, reluNative, stepNative } from './elementwise.js';
import { batchMatMulNative, fusedMatMulNative } from './mat-mul.js';

/**
 * The native backend's ONNX Runtime kernels, over the cpu kernels it starts from: matrix products
 * (Dense, its gradients, every composite built on them), convolutions with both their gradients, and
 * the element-wise kernels a training step spends its remaining time in (and Adam's fused update), on
 * large tensors.
 * Each falls back to the cpu kernel for what it does not take (other dtypes, NCHW, prelu, tiny products).
 */
export const nativeKernelFixes: readonly KernelFix[] = [
  floatFix('BatchMatMul', batchMatMulNative, ['a', 'b'], 'native'),
  floatFix('_FusedMatMul', fusedMatMulNative, ['a', 'b'], 'native'),
  floatFix('Conv2D', conv2dNative, ['x', 'filter'], 'native'),
  floatFix('FusedConv2D', fusedConv2dNative, ['x', 'filter'], 'native'),
  floatFix('Conv2DBackpropInput', conv2dBackpropInputNative, ['dy', 'filter'], 'native'),
  floatFix('Conv2DBackpropFilter', conv2dBackpropFilterNative, ['x', 'dy'], 'native'),
  ...['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum'].map((name) =>
    floatFix(name, binaryNative(name), ['a', 'b'], 'native'),
  ),
  floatFix('Relu', reluNative, ['x'], 'native'),
  floatFix('Step', stepNative, ['x'], 'native'),
  nativeAdamUpdateFix,
];
