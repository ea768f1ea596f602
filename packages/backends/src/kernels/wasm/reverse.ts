import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { type Backend, callKernel, release } from './call-kernel.js';

/**
 * tfjs-backend-wasm 4.22's `Reverse` handles 4-byte elements only: on a bool tensor (one byte per element)
 * its C++ kernel traps ("divide by zero") or writes past the tensor, which corrupts the wasm heap for
 * every later kernel. An RNN with `goBackwards` reverses its bool mask over time. A bool tensor is
 * reversed as int32 here and cast back.
 */
function reverse(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = (inputs as { x: TensorInfo }).x;
    if (x.dtype !== 'bool') return original({ inputs, backend, attrs });
    const b = backend as Backend;
    const wide = callKernel(b, 'Cast', { x }, { dtype: 'int32' });
    let reversed: TensorInfo | undefined;
    try {
      reversed = original({ inputs: { x: wide }, backend, attrs }) as TensorInfo;
      return callKernel(b, 'Cast', { x: reversed }, { dtype: 'bool' });
    } finally {
      release(b, wide, ...(reversed ? [reversed] : []));
    }
  };
}

export const reverseFix: KernelFix = {
  kernelName: 'Reverse',
  backendName: 'wasm',
  mode: 'wrap',
  create: (original) => ({
    ...(original as KernelConfig),
    kernelFunc: reverse((original as KernelConfig).kernelFunc),
  }),
};
