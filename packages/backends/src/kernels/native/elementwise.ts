/**
 * Element-wise kernels on ONNX Runtime for large float32 tensors. In a training step on the cpu backend's
 * kernels these take most of the time once the products and convolutions run natively (a convnet's bias
 * add, relu and relu gradient `dy · step(x)`): tfjs-backend-cpu runs them as scalar JavaScript loops,
 * ONNX Runtime vectorised on every thread. Small tensors stay on the cpu kernels (one ORT call costs ~9 µs).
 */
import { backend_util, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';

import { type CpuData, isFloat, valuesOf } from '../cpu/mat-mul.js';
import type { Backend } from '../wasm/call-kernel.js';
import { runModel } from './ort.js';

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
    const bk = backend as Backend;
    const key = `${op} a=${a.shape} b=${b.shape}`;
    const [out] = runModel(
      key,
      (g) => {
        g.addInput('a', a.shape, 'float32');
        g.addInput('b', b.shape, 'float32');
        g.addOutput('y', g.op1(op, ['a', 'b']), shape, 'float32');
      },
      { a: { values: valuesOf(bk, a), shape: a.shape }, b: { values: valuesOf(bk, b), shape: b.shape } },
    );
    return (bk as unknown as CpuData).makeTensorInfo(shape, 'float32', out);
  };
}

/** A unary element-wise kernel on ONNX Runtime; null for small or non-float32 input. */
function unaryNative(
  name: string,
  build: (g: Parameters<Parameters<typeof runModel>[1]>[0], attrs: Record<string, unknown>) => string,
): (args: KernelArgs) => TensorInfo | null {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as unknown as { x: TensorInfo };
    if (!isFloat(x) || util.sizeFromShape(x.shape) < MIN_SIZE) return null;
    const bk = backend as Backend;
    const key = `${name} x=${x.shape} ${JSON.stringify(attrs)}`;
    const [out] = runModel(
      key,
      (g) => {
        g.addInput('x', x.shape, 'float32');
        g.addOutput('y', build(g, attrs ?? {}), x.shape, 'float32');
      },
      { x: { values: valuesOf(bk, x), shape: x.shape } },
    );
    return (bk as unknown as CpuData).makeTensorInfo(x.shape, 'float32', out);
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
