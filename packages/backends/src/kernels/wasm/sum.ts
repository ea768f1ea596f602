import {
  type KernelConfig,
  type KernelFunc,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { type Backend, callKernel, constant, release, reshape } from './call-kernel.js';

/**
 * Sum over the leading axes of a float32 tensor, as one average pool times the count: x viewed as
 * `[1, outer, 1, inner]` with a single `[outer, 1]` window. tfjs-backend-wasm 4.22's Sum first transposes
 * the reduced axes to the end, and its Transpose is slow whenever the innermost axis moves: a conv
 * layer's bias gradient ([128, 26, 26, 32] -> [32]) took ~50-100 ms, the pool (XNNPACK) ~1 ms. A matMul
 * with a row of ones is no better: wasm repacks its large right operand on every call. Other reductions
 * go to the original kernel.
 */
export function leadingAxesSum(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as unknown as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return original(args);
    const b = backend as Backend;
    const outer = util.sizeFromShape(x.shape.slice(0, axes.length));
    const inner = util.sizeFromShape(x.shape.slice(axes.length));
    if (outer === 0 || inner === 0) return original(args);
    const x4d = reshape(b, x, [1, outer, 1, inner]);
    const mean = callKernel(
      b,
      'AvgPool',
      { x: x4d },
      { filterSize: [outer, 1], strides: [1, 1], pad: 'valid' },
    );
    const count = constant(b, [outer], []);
    const summed = callKernel(b, 'Multiply', { a: mean, b: count });
    const shape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
    const out = reshape(b, summed, shape);
    release(b, x4d, mean, count, summed);
    return out;
  };
}

export const sumFix: KernelFix = {
  kernelName: 'Sum',
  backendName: 'wasm',
  mode: 'wrap',
  create: (original) => ({
    ...(original as KernelConfig),
    kernelFunc: leadingAxesSum((original as KernelConfig).kernelFunc),
  }),
};
