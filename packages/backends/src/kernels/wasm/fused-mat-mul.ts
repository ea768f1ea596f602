import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { withoutTransposes } from './batch-mat-mul.js';
import { type Backend, callKernel, release, wrapKernelFix } from './call-kernel.js';

/** The shape tfjs-backend-wasm recorded when it allocated `info`'s storage. */
function storedShape(backend: Backend, info: TensorInfo): number[] | undefined {
  const map = (backend as unknown as { dataIdMap?: { get(id: object): { shape: number[] } | undefined } })
    .dataIdMap;
  return map?.get(info.dataId)?.shape;
}

/**
 * `tf.fused.matMul` (Dense with a bias and activation) runs this kernel with the same transpose flags as
 * `BatchMatMul`, and hits the same slow wasm path; the same wrapper fixes it.
 *
 * tfjs-backend-wasm 4.22 also checks the bias's rank on the shape it recorded when the storage was
 * allocated, not on the tensor it is given: a reshape shares storage, so a rank-1 bias made by squeezing
 * or reshaping a slice of a bigger weight (GRU's `[2, 3*units]` bias) is refused as "rank 2". Such a bias
 * is copied into storage of its own shape first (a slice of `units` values).
 */
function fusedMatMul(original: KernelFunc): KernelFunc {
  const plain = withoutTransposes(original);
  return ({ inputs, backend, attrs }) => {
    const bias = (inputs as { bias?: TensorInfo }).bias;
    const b = backend as Backend;
    if (bias == null || bias.shape.length !== 1 || storedShape(b, bias)?.length === 1) {
      return plain({ inputs, backend, attrs });
    }
    const own = callKernel(b, 'Slice', { x: bias }, { begin: [0], size: [bias.shape[0]] });
    try {
      return plain({ inputs: { ...inputs, bias: own }, backend, attrs });
    } finally {
      release(b, own);
    }
  };
}

export const fusedMatMulFix: KernelFix = wrapKernelFix('_FusedMatMul', fusedMatMul);
