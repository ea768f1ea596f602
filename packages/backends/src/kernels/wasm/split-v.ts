import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  type SplitVAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import type { Backend } from './call-kernel.js';
import { copySlice } from './slice.js';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}

/**
 * SplitV (`tf.split`) whose pieces copy only their own elements. tfjs-backend-wasm 4.22's SplitV calls
 * its Slice once per piece, and that Slice reads the whole input out of the heap each time, so
 * splitting into `n` pieces copied the input `n` times: an LSTM's 100 timesteps cut from a
 * [100, 2048] input took ~74 ms, and each step's split of its gates into four ~0.17 ms.
 */
export function heapSplitV(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as unknown as { x: TensorInfo };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original(args);
    const { numOrSizeSplits, axis } = attrs as unknown as SplitVAttrs;
    const $axis = util.parseAxisParam(axis, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
    const b = backend as Backend & WasmHeapBackend;
    // Allocate every piece first: a heap that grows detaches every view taken before it.
    const outs = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[$axis] = s;
      return b.makeOutput(shape, x.dtype);
    });
    const source = b.typedArrayFromHeap(x);
    const begin = x.shape.map(() => 0);
    for (const out of outs) {
      if (util.sizeFromShape(out.shape) > 0) {
        copySlice(source, x.shape, begin, out.shape, b.typedArrayFromHeap(out));
      }
      begin[$axis] += out.shape[$axis];
    }
    return outs;
  };
}

export const splitVFix: KernelFix = {
  kernelName: 'SplitV',
  backendName: 'wasm',
  mode: 'wrap',
  create: (original) => ({
    ...(original as KernelConfig),
    kernelFunc: heapSplitV((original as KernelConfig).kernelFunc),
  }),
};
