/**
 * Element-wise kernels on ONNX Runtime for large float32 tensors. In a training step on the cpu backend's
 * kernels these take most of the time once the products and convolutions run natively (a convnet's bias
 * add, relu and relu gradient `dy · step(x)`): tfjs-backend-cpu runs them as scalar JavaScript loops,
 * ONNX Runtime vectorised on every thread. Small tensors stay on the cpu kernels (one ORT call costs ~9 µs).
 */
import type { OnnxGraph } from '@strata/onnx/graph';
import { backend_util, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';

import { isFloat } from '../cpu/mat-mul.js';
import type { Backend } from '../wasm/call-kernel.js';
import { runKernelModel } from './ort.js';

type KernelArgs = Parameters<KernelFunc>[0];

/** Outputs smaller than this stay on the cpu kernels. */
const MIN_SIZE = 16384;

/** tfjs's binary kernels and their ONNX ops, both broadcasting as NumPy does. */
const BINARY: Record<string, string> = {
  Add: 'Add',
  Sub: 'Sub',
  Multiply: 'Mul',
  RealDiv: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
};

/** A binary element-wise kernel on ONNX Runtime; null for small or non-float32 operands. */
export function binaryNative(kernelName: string): (args: KernelArgs) => TensorInfo | null {
  const op = BINARY[kernelName];
  return ({ inputs, backend }) => {
    const { a, b } = inputs as unknown as { a: TensorInfo; b: TensorInfo };
    const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (!isFloat(a, b) || util.sizeFromShape(shape) < MIN_SIZE) return null;
    return runKernelModel(
      backend as Backend,
      `${op} a=${a.shape} b=${b.shape}`,
      { a, b },
      shape,
      util.sizeFromShape(shape),
      (g) => g.op1(op, ['a', 'b']),
    );
  };
}

/** A unary element-wise kernel on ONNX Runtime; null for small or non-float32 input. */
function unaryNative(
  name: string,
  build: (g: OnnxGraph, attrs: Record<string, unknown>) => string,
): (args: KernelArgs) => TensorInfo | null {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as unknown as { x: TensorInfo };
    if (!isFloat(x) || util.sizeFromShape(x.shape) < MIN_SIZE) return null;
    const key = `${name} x=${x.shape} ${JSON.stringify(attrs)}`;
    return runKernelModel(backend as Backend, key, { x }, x.shape, util.sizeFromShape(x.shape), (g) =>
      build(g, attrs ?? {}),
    );
  };
}

export const reluNative = unaryNative('Relu', (g) => g.op1('Relu', ['x']));

/** tfjs's Step: NaN stays NaN, then 1 above zero and `alpha` elsewhere (relu's gradient mask). */
export const stepNative = unaryNative('Step', (g, attrs) => {
  const alpha = Number(attrs.alpha ?? 0);
  const mask = g.op1('Where', [
    g.op1('Greater', ['x', g.floats('zero', [0], [])]),
    g.floats('one', [1], []),
    g.floats('alpha', [alpha], []),
  ]);
  return g.op1('Where', [g.op1('IsNaN', ['x']), 'x', mask]);
});
