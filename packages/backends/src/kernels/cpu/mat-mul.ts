import { NotImplementedError, ValueError } from '@strata/core';
import type {
  _FusedMatMulAttrs,
  BatchMatMulAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { type Backend, callKernel, release } from '../wasm/call-kernel.js';
import { reluIf } from './bias-relu.js';
import { gemm, type MatrixView } from './gemm.js';
import { outputArray } from './output-pool.js';

/** What the composites read and make on tfjs-backend-cpu: tensors' host values. */
export interface CpuData {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
}

/** A float32 tensor's host values as a Float32Array (see `typedAs`). */
export function valuesOf(backend: Backend, info: TensorInfo): Float32Array {
  return typedAs((backend as unknown as CpuData).data.get(info.dataId).values, 'float32') as Float32Array;
}

/**
 * `values` as the typed array that `dtype` names, copied only where tfjs-cpu stored another kind: its Cast
 * keeps the source array where no precision is lost, so an int32 tensor cast to float32 still holds an
 * Int32Array (and a bool cast to int32 a Uint8Array). JavaScript loops read either alike; ONNX Runtime
 * takes a tensor's type from its array and would refuse it.
 */
export function typedAs(values: unknown, dtype: string): Float32Array | Int32Array {
  if (dtype === 'float32' && !(values instanceof Float32Array))
    return Float32Array.from(values as ArrayLike<number>);
  if (dtype === 'int32' && !(values instanceof Int32Array))
    return Int32Array.from(values as ArrayLike<number>);
  return values as Float32Array | Int32Array;
}

/**
 * `a · b` with tfjs's BatchMatMul semantics: rank >= 2, optional transposes of the last two axes,
 * leading (batch) axes broadcast against each other, batch `i` of the output taking batch
 * `i mod batchA` of `a` and `i mod batchB` of `b`, as tfjs-backend-cpu does. float32 only.
 */
export function batchMatMulCpu(
  backend: Backend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const depthA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const depthB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  if (depthA !== depthB) {
    throw new ValueError(
      `Error in matMul: inner shapes (${depthA}) and (${depthB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const depth = depthA;
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  // An empty inner dimension writes nothing: the product is zeros.
  const out = outputArray(backend, batch * m * n, depth === 0);
  const av = valuesOf(backend, a);
  const bv = valuesOf(backend, b);
  for (let bi = 0; bi < batch; bi++) {
    const viewA: MatrixView = {
      values: av,
      offset: (bi % batchA) * m * depth,
      rowStride: transposeA ? 1 : depth,
      colStride: transposeA ? m : 1,
    };
    const viewB: MatrixView = {
      values: bv,
      offset: (bi % batchB) * depth * n,
      rowStride: transposeB ? 1 : n,
      colStride: transposeB ? depth : 1,
    };
    gemm(viewA, viewB, out, bi * m * n, m, depth, n, bi > 0 && batchB === 1);
  }
  return (backend as unknown as CpuData).makeTensorInfo([...batchShape, m, n], 'float32', out);
}

export const isFloat = (...infos: TensorInfo[]) => infos.every((t) => t.dtype === 'float32');

export const cpuBatchMatMulFix: KernelFix = {
  kernelName: 'BatchMatMul',
  backendName: 'cpu',
  mode: 'wrap',
  create: (original) => ({
    ...(original as KernelConfig),
    kernelFunc: (args) => {
      const { a, b } = args.inputs as unknown as { a: TensorInfo; b: TensorInfo };
      // Integer products keep tfjs's own kernel (and its integer results).
      if (!isFloat(a, b)) return (original as KernelConfig).kernelFunc(args);
      const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
      return batchMatMulCpu(args.backend as Backend, a, b, transposeA, transposeB);
    },
  }),
};

/** Adds `bias` in place when it is one value per output column (Dense's bias) or one value in all. */
function addBiasInPlace(values: Float32Array, bias: Float32Array, n: number): void {
  if (bias.length === 1) {
    const v = bias[0];
    for (let i = 0; i < values.length; i++) values[i] += v;
    return;
  }
  for (let row = 0; row < values.length; row += n) {
    for (let j = 0; j < n; j++) values[row + j] += bias[j];
  }
}

const ACTIVATION_KERNELS: Record<string, string> = {
  elu: 'Elu',
  relu6: 'Relu6',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/**
 * Adds `bias` to `current` and applies `activation`, as tfjs-backend-cpu's fused kernels do, and
 * returns the result (`current` itself, or a new tensor with `current` released). A bias per last-axis
 * column and relu are applied in place on the fresh `current`; other bias shapes and activations go
 * through the backend's own kernels.
 */
export function applyBiasAndActivation(
  bk: Backend,
  current: TensorInfo,
  bias: TensorInfo | undefined,
  activation: string | undefined,
  preluActivationWeights: TensorInfo | undefined,
  leakyreluAlpha: number | undefined,
): TensorInfo {
  const n = current.shape[current.shape.length - 1];
  if (bias) {
    const biasSize = tf.util.sizeFromShape(bias.shape);
    const perColumn = biasSize === 1 || (biasSize === n && bias.shape[bias.shape.length - 1] === n);
    if (perColumn && bias.shape.length <= current.shape.length && isFloat(bias)) {
      addBiasInPlace(valuesOf(bk, current), valuesOf(bk, bias), n);
    } else {
      const sum = callKernel(bk, 'Add', { a: current, b: bias });
      release(bk, current);
      current = sum;
    }
  }
  if (activation === 'relu') {
    const values = valuesOf(bk, current);
    for (let i = 0; i < values.length; i++) values[i] = reluIf(values[i], true);
  } else if (activation != null && activation !== 'linear') {
    const kernelName = ACTIVATION_KERNELS[activation];
    if (kernelName == null) {
      release(bk, current);
      throw new NotImplementedError(`Activation ${activation} has not been implemented for the CPU backend.`);
    }
    const activated =
      activation === 'prelu'
        ? callKernel(bk, kernelName, { x: current, alpha: preluActivationWeights as TensorInfo })
        : callKernel(
            bk,
            kernelName,
            { x: current },
            activation === 'leakyrelu' ? { alpha: leakyreluAlpha ?? 0.2 } : {},
          );
    release(bk, current);
    current = activated;
  }
  return current;
}

/** `tf.fused.matMul` (Dense's forward pass): the product above, then the bias and activation. */
export const fusedMatMulCpu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b, bias, preluActivationWeights } = inputs as unknown as {
    a: TensorInfo;
    b: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as _FusedMatMulAttrs;
  const bk = backend as Backend;
  const product = batchMatMulCpu(bk, a, b, transposeA, transposeB);
  return applyBiasAndActivation(bk, product, bias, activation, preluActivationWeights, leakyreluAlpha);
};

export const cpuFusedMatMulFix: KernelFix = {
  kernelName: '_FusedMatMul',
  backendName: 'cpu',
  mode: 'wrap',
  create: (original) => ({
    ...(original as KernelConfig),
    kernelFunc: (args) => {
      const { a, b } = args.inputs as unknown as { a: TensorInfo; b: TensorInfo };
      if (!isFloat(a, b)) return (original as KernelConfig).kernelFunc(args);
      return fusedMatMulCpu(args);
    },
  }),
};
