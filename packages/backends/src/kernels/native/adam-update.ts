import { StrataAdamUpdate } from '@strata/core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { checkAdamUpdateArgs } from '../adam-update.js';
import { type CpuData, valuesOf } from '../cpu/mat-mul.js';
import type { Backend } from '../wasm/call-kernel.js';
import { runModel } from './ort.js';

/**
 * `StrataAdamUpdate` on ONNX Runtime: the cpu kernel's float32 operations in the same order, as one
 * model per weight shape (the step size, which changes every step, is an input). Weights smaller than
 * this many elements stay on the cpu kernel.
 */
const MIN_SIZE = 16384;

const adamUpdateNative: KernelFunc = ({ inputs, backend, attrs }) => {
  const { inputs: x, attrs: a } = checkAdamUpdateArgs(inputs as Record<string, TensorInfo>, attrs ?? {});
  const bk = backend as Backend;
  const shape = x.variable.shape.slice();
  const size = shape.reduce((p, d) => p * d, 1);
  const feed = (info: TensorInfo) => ({ values: valuesOf(bk, info), shape: [size] });
  const key = `Adam n=${size} beta1=${a.beta1} beta2=${a.beta2} epsilon=${a.epsilon}`;
  const outputs = runModel(
    key,
    (g) => {
      for (const name of ['w', 'g', 'm', 'v']) g.addInput(name, [size], 'float32');
      g.addInput('alpha', [1], 'float32');
      const keepM = g.floats('keep_m', [1 - a.beta1], []);
      const keepV = g.floats('keep_v', [1 - a.beta2], []);
      const mNew = g.op1('Add', ['m', g.op1('Mul', [g.op1('Sub', ['g', 'm']), keepM])]);
      const gg = g.op1('Mul', ['g', 'g']);
      const vNew = g.op1('Add', ['v', g.op1('Mul', [g.op1('Sub', [gg, 'v']), keepV])]);
      const denominator = g.op1('Add', [g.op1('Sqrt', [vNew]), g.floats('epsilon', [a.epsilon], [])]);
      const step = g.op1('Div', [g.op1('Mul', [mNew, 'alpha']), denominator]);
      g.addOutput('w_new', g.op1('Sub', ['w', step]), [size], 'float32');
      g.addOutput('m_new', mNew, [size], 'float32');
      g.addOutput('v_new', vNew, [size], 'float32');
    },
    {
      w: feed(x.variable),
      g: feed(x.gradient),
      m: feed(x.m),
      v: feed(x.v),
      alpha: { values: Float32Array.of(a.alpha), shape: [1] },
    },
    size,
    ['w_new', 'm_new', 'v_new'],
  );
  return outputs.map((values) => (bk as unknown as CpuData).makeTensorInfo(shape, 'float32', values));
};

/** The native backend's `StrataAdamUpdate`: ONNX Runtime for large weights, the cpu kernel for small ones. */
export const nativeAdamUpdateFix: KernelFix = {
  kernelName: StrataAdamUpdate,
  backendName: 'native',
  mode: 'wrap',
  create: (original) => ({
    kernelName: StrataAdamUpdate,
    backendName: 'native',
    kernelFunc: (args) => {
      const { variable } = args.inputs as { variable?: TensorInfo };
      const small = variable == null || variable.shape.reduce((p, d) => p * d, 1) < MIN_SIZE;
      return small ? (original as { kernelFunc: KernelFunc }).kernelFunc(args) : adamUpdateNative(args);
    },
  }),
};
