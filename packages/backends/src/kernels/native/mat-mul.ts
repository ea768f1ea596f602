import type { OnnxGraph } from '@strata/onnx/graph';
import {
  type _FusedMatMulAttrs,
  type BatchMatMulAttrs,
  backend_util,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { type CpuData, isFloat, valuesOf } from '../cpu/mat-mul.js';
import type { Backend } from '../wasm/call-kernel.js';
import { runModel } from './ort.js';

/**
 * Products smaller than this many multiply-adds stay on the cpu backend's GEMM: there they take a few
 * microseconds, less than one ONNX Runtime call (~9 µs).
 */
const MIN_MACS = 4096;

/** tfjs's fused activations but prelu (a weight tensor, left to the cpu kernels): each is one ONNX op. */
const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu']);

export function supportsActivation(activation: string | undefined): boolean {
  return activation == null || ACTIVATIONS.has(activation);
}

/** Applies tfjs's fused `activation` to graph value `x`; returns the activated value's name. */
export function activate(
  g: OnnxGraph,
  x: string,
  activation: string | undefined,
  leakyreluAlpha = 0.2,
): string {
  switch (activation ?? 'linear') {
    case 'linear':
      return x;
    case 'relu':
      return g.op1('Relu', [x]);
    case 'relu6':
      return g.op1('Clip', [x, g.floats('zero', [0], []), g.floats('six', [6], [])]);
    case 'sigmoid':
      return g.op1('Sigmoid', [x]);
    case 'elu':
      return g.op1('Elu', [x], { alpha: { float: 1 } });
    default:
      return g.op1('LeakyRelu', [x], { alpha: { float: leakyreluAlpha } });
  }
}

/** A bias ONNX can add as is: one value per output column, or one in all. Its values, or null. */
export function perColumnBias(bk: Backend, bias: TensorInfo | undefined, n: number): Float32Array | null {
  if (!bias || !isFloat(bias)) return null;
  const size = util.sizeFromShape(bias.shape);
  if (size !== 1 && !(size === n && bias.shape[bias.shape.length - 1] === n)) return null;
  return valuesOf(bk, bias);
}

/**
 * `a · b` (+ bias, then activation) on ONNX Runtime, with tfjs's BatchMatMul semantics, or null for a
 * case the cpu kernel keeps: a small product, batches that broadcast other than one against many.
 * A single product runs as `Gemm` (its transposes are flags, not copies); batched ones as `MatMul`.
 */
export function matMulNative(
  bk: Backend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias?: TensorInfo,
  activation?: string,
  leakyreluAlpha?: number,
): TensorInfo | null {
  if (!isFloat(a, b) || !supportsActivation(activation)) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  if (k !== kB || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return null;
  if (batch * m * n * k < MIN_MACS) return null;
  const biasValues = perColumnBias(bk, bias, n);
  if (bias && !biasValues) return null;
  const outer = backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  // Operands of one batch are fed as matrices; ONNX's MatMul broadcasts a matrix over the other's batch.
  const dimsA = batchA === 1 ? a.shape.slice(-2) : [batchA, ...a.shape.slice(-2)];
  const dimsB = batchB === 1 ? b.shape.slice(-2) : [batchB, ...b.shape.slice(-2)];
  const act = activation ?? 'linear';
  const alpha = leakyreluAlpha ?? 0.2;
  const key = `MatMul a=${dimsA} b=${dimsB} tA=${transposeA} tB=${transposeB} bias=${biasValues?.length ?? 0} ${act}(${alpha})`;
  const feeds = {
    a: { values: valuesOf(bk, a), shape: dimsA },
    b: { values: valuesOf(bk, b), shape: dimsB },
    ...(biasValues ? { bias: { values: biasValues, shape: [biasValues.length] } } : {}),
  };
  const [out] = runModel(
    key,
    (g) => {
      g.addInput('a', dimsA, 'float32');
      g.addInput('b', dimsB, 'float32');
      if (biasValues) g.addInput('bias', [biasValues.length], 'float32');
      let y: string;
      if (batch === 1) {
        const c = biasValues ? ['bias'] : [];
        y = g.op1('Gemm', ['a', 'b', ...c], { transA: transposeA ? 1 : 0, transB: transposeB ? 1 : 0 });
      } else {
        const swapLast = (x: string, rank: number) =>
          g.op1('Transpose', [x], { perm: rank === 2 ? [1, 0] : [0, 2, 1] });
        const lhs = transposeA ? swapLast('a', dimsA.length) : 'a';
        const rhs = transposeB ? swapLast('b', dimsB.length) : 'b';
        y = g.op1('MatMul', [lhs, rhs]);
        if (biasValues) y = g.op1('Add', [y, 'bias']);
      }
      g.addOutput('y', activate(g, y, act, alpha), batch === 1 ? [m, n] : [batch, m, n], 'float32');
    },
    feeds,
    batch * m * n * k,
  );
  return (bk as unknown as CpuData).makeTensorInfo([...outer, m, n], 'float32', out);
}

/** BatchMatMul on ONNX Runtime; null where the cpu kernel keeps the case. */
export const batchMatMulNative = ({
  inputs,
  backend,
  attrs,
}: Parameters<KernelFunc>[0]): TensorInfo | null => {
  const { a, b } = inputs as unknown as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  return matMulNative(backend as Backend, a, b, transposeA, transposeB);
};

/** `tf.fused.matMul` (Dense's forward pass) on ONNX Runtime; null where the cpu kernel keeps the case. */
export const fusedMatMulNative = ({
  inputs,
  backend,
  attrs,
}: Parameters<KernelFunc>[0]): TensorInfo | null => {
  const { a, b, bias } = inputs as unknown as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as _FusedMatMulAttrs;
  return matMulNative(backend as Backend, a, b, transposeA, transposeB, bias, activation, leakyreluAlpha);
};
