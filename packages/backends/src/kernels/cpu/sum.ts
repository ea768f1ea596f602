import { type SumAttrs, type TensorInfo, util } from '@tensorflow/tfjs-core';

import type { Backend } from '../wasm/call-kernel.js';
import { floatFix } from './float-fix.js';
import { type CpuData, valuesOf } from './mat-mul.js';

/**
 * Sum over every axis but the last (a bias gradient: Dense's, a convolution's over batch and pixels),
 * row by row into one double-precision accumulator per column. tfjs-backend-cpu 4.22 first transposes
 * the whole tensor so the summed axes come last; for a convnet's first bias that copy cost more than
 * the layer's convolution. Other reductions stay with tfjs's kernel.
 */
export const cpuSumFix = floatFix(
  'Sum',
  ({ inputs, backend, attrs }) => {
    const { x } = inputs as unknown as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    if (rank < 2) return null;
    const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    if (axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return null;
    const b = backend as Backend;
    const values = valuesOf(b, x);
    const n = x.shape[rank - 1];
    const sums = new Float64Array(n);
    for (let row = 0; row < values.length; row += n) {
      for (let j = 0; j < n; j++) sums[j] += values[row + j];
    }
    const shape = keepDims ? [...new Array(rank - 1).fill(1), n] : [n];
    return (b as unknown as CpuData).makeTensorInfo(shape, 'float32', Float32Array.from(sums));
  },
  ['x'],
);
