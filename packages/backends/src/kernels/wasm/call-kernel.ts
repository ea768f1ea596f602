/**
 * Composite wasm kernels are built the way tfjs builds its own: by calling other kernels' functions
 * directly on the same backend, so intermediate results stay in wasm memory (no engine round trip, no
 * tape, no copy to another backend). Every intermediate must be released with `release`, or the
 * engine's per-kernel leak check counts it against the kernel.
 */
import { RuntimeError, ValueError } from '@strata/core';
import type {
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';

export type Backend = KernelBackend;

/** Runs the active backend's kernel `kernelName` (ours if we replaced it) and returns its one output. */
export function callKernel(
  backend: Backend,
  kernelName: string,
  inputs: Record<string, TensorInfo> | TensorInfo[],
  attrs: NamedAttrMap = {},
): TensorInfo {
  // Kernels run on the active backend; the composites also serve cpu (see kernels/cpu).
  const backendName = tf.getBackend();
  const kernel = tf.getKernel(kernelName, backendName);
  if (kernel == null) {
    throw new RuntimeError(
      `Strata's composite kernels need the ${backendName} kernel '${kernelName}', which is not registered.`,
    );
  }
  // The registry types `inputs` as a name map; Concat takes an array, as tfjs's own ops pass it.
  const out = kernel.kernelFunc({ inputs: inputs as Record<string, TensorInfo>, backend, attrs });
  if (Array.isArray(out))
    throw new RuntimeError(`Kernel '${kernelName}' returned ${out.length} outputs; expected one.`);
  return out;
}

/** Frees intermediate results (reshapes share storage; the backend's reference count handles that). */
export function release(backend: Backend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function reshape(backend: Backend, x: TensorInfo, shape: number[]): TensorInfo {
  return callKernel(backend, 'Reshape', { x }, { shape });
}

export function transpose(backend: Backend, x: TensorInfo, perm: number[]): TensorInfo {
  return callKernel(backend, 'Transpose', { x }, { perm });
}

/** `a · b` for 2-D or batched 3-D operands, never with a transposed operand (the slow wasm path). */
export function matMul(backend: Backend, a: TensorInfo, b: TensorInfo): TensorInfo {
  return callKernel(backend, 'BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
}

/**
 * Pads (positive amounts) or crops (negative amounts) each axis by `[before, after]`. Composite gradients
 * need both: the padding a forward pass used may be larger than the region a gradient reaches.
 */
export function padOrCrop(
  backend: Backend,
  x: TensorInfo,
  amounts: Array<[number, number]>,
  constantValue = 0,
): TensorInfo {
  let current = x;
  let owned = false;
  const padding = amounts.map(([b, a]) => [Math.max(b, 0), Math.max(a, 0)]);
  if (padding.some(([b, a]) => b > 0 || a > 0)) {
    current = callKernel(backend, 'PadV2', { x: current }, { paddings: padding, constantValue });
    owned = true;
  }
  if (amounts.some(([b, a]) => b < 0 || a < 0)) {
    const begin = amounts.map(([b]) => Math.max(-b, 0));
    const size = current.shape.map((d, i) => d - begin[i] - Math.max(-amounts[i][1], 0));
    const cropped = callKernel(backend, 'Slice', { x: current }, { begin, size });
    if (owned) release(backend, current);
    current = cropped;
    owned = true;
  }
  // Callers always release what this returns; hand back a fresh reference when nothing changed.
  return owned ? current : reshape(backend, x, x.shape);
}

/** The float32 dtype check every composite kernel makes first. */
export function assertFloat32(kernelName: string, ...infos: TensorInfo[]): void {
  for (const info of infos) {
    if (info.dtype !== 'float32') {
      throw new ValueError(
        `Strata's wasm ${kernelName} supports float32 tensors only. Received: dtype=${info.dtype}`,
      );
    }
  }
}

/** A float32 constant made on the backend (the caller releases it). */
export function constant(backend: Backend, values: number[] | Float32Array, shape: number[]): TensorInfo {
  return { dataId: backend.write(Float32Array.from(values), shape, 'float32'), shape, dtype: 'float32' };
}

/** Elementwise `a op b` with broadcasting, on the backend's binary kernels. */
export function binary(
  backend: Backend,
  kernelName: 'Add' | 'Sub' | 'Multiply' | 'Maximum',
  a: TensorInfo,
  b: TensorInfo,
): TensorInfo {
  return callKernel(backend, kernelName, { a, b });
}

/** A fix that puts `wrap(original)` in place of wasm's kernel `kernelName` (its setup carried over). */
export function wrapKernelFix(kernelName: string, wrap: (original: KernelFunc) => KernelFunc): KernelFix {
  return {
    kernelName,
    backendName: 'wasm',
    mode: 'wrap',
    create: (original) => ({
      ...(original as KernelConfig),
      kernelFunc: wrap((original as KernelConfig).kernelFunc),
    }),
  };
}
