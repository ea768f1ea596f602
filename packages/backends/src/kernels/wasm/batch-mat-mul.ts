import type { BatchMatMulAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { type Backend, release, transpose, wrapKernelFix } from './call-kernel.js';
import { activeThreadPool, threadedMatMul } from './threaded/kernels.js';

/** The permutation that swaps the last two axes of a rank-`rank` tensor. */
export function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

/**
 * Runs the product on Strata's thread pool where the wasm backend has one (threaded/kernels.ts; it also
 * takes the fused matMul's bias and ReLU). Otherwise materialises a transposed operand, then runs
 * `original` without transposes. tfjs-backend-wasm 4.22's
 * matMul with transposeA/transposeB is ~10-20x slower than a plain one (128x784·784x512: ~6 ms plain,
 * 59-107 ms transposed, ~1-2 ms for an explicit transpose), and Dense's gradients use exactly those paths.
 */
export function withoutTransposes(original: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const { a, b } = inputs as unknown as { a: TensorInfo; b: TensorInfo };
    const bk = backend as Backend;
    const { bias, activation } = {
      ...(inputs as { bias?: TensorInfo }),
      ...(attrs as { activation?: string }),
    };
    // With threads, Strata's own GEMM (packs transposed operands itself).
    const threaded = threadedMatMul(activeThreadPool(), bk, {
      a,
      b,
      transposeA,
      transposeB,
      bias,
      activation,
    });
    if (threaded !== null) return threaded;
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const temps: TensorInfo[] = [];
    const plainA = transposeA ? transpose(bk, a, swapLastTwo(a.shape.length)) : a;
    const plainB = transposeB ? transpose(bk, b, swapLastTwo(b.shape.length)) : b;
    if (transposeA) temps.push(plainA);
    if (transposeB) temps.push(plainB);
    try {
      return original({
        inputs: { ...inputs, a: plainA, b: plainB },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      release(bk, ...temps);
    }
  };
}

export const batchMatMulFix: KernelFix = wrapKernelFix('BatchMatMul', withoutTransposes);
