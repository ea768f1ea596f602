import {
  type KernelConfig,
  type KernelFunc,
  type SliceAttrs,
  slice_util,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import type { Backend } from './call-kernel.js';

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses (its class is not exported as a type). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}

/**
 * Copies `x[begin : begin + size]` into `out`, both flat row-major views. The trailing axes that are
 * taken whole merge with the last partial axis into one contiguous run; the axes before it are walked
 * with an odometer, one `set` of a subarray per run.
 */
export function copySlice(
  x: Float32Array | Int32Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: Float32Array | Int32Array,
): void {
  const rank = shape.length;
  const strides = util.computeStrides(shape as number[]);
  const strideOf = (axis: number) => (axis === rank - 1 ? 1 : strides[axis]);
  // The innermost axis `k` that is not taken whole: axes after it are, so each run spans size[k] of it.
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const run = rank === 0 ? 1 : size[k] * strideOf(k);
  let start = 0;
  for (let a = 0; a < rank; a++) start += begin[a] * strideOf(a);
  const runs = out.length / run;
  if (runs === 1) {
    out.set(x.subarray(start, start + run));
    return;
  }
  // Odometer over axes 0..k-1 (only those with more than one index matter, but all are tracked).
  const index = new Array<number>(k).fill(0);
  let offset = start;
  for (let r = 0, outOffset = 0; r < runs; r++, outOffset += run) {
    out.set(x.subarray(offset, offset + run), outOffset);
    for (let a = k - 1; a >= 0; a--) {
      index[a]++;
      offset += strideOf(a);
      if (index[a] < size[a]) break;
      offset -= size[a] * strideOf(a);
      index[a] = 0;
    }
  }
}

/**
 * Slice that copies only the requested elements. tfjs-backend-wasm 4.22's Slice first reads the whole
 * input out of the wasm heap (`readSync`) on every call: taking a 128-row batch from a [12000, 784]
 * float32 dataset copied all 37 MB each time (25-120 ms depending on the machine; this kernel: ~0.06 ms).
 * Here the output is allocated on the heap and filled from a heap view of the input. Dtypes without a
 * plain numeric heap view here (bool, string, complex64) go to the original kernel.
 */
export function heapSlice(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as unknown as { x: TensorInfo };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original(args);
    const { begin, size } = attrs as unknown as SliceAttrs;
    const [begin_, size_] = slice_util.parseSliceParams(x, begin, size);
    slice_util.assertParamsValid(x, begin_, size_);
    const b = backend as Backend & WasmHeapBackend;
    // Allocate first: a heap that grows detaches every view taken before it.
    const out = b.makeOutput(size_, x.dtype);
    if (util.sizeFromShape(size_) === 0) return out;
    copySlice(b.typedArrayFromHeap(x), x.shape, begin_, size_, b.typedArrayFromHeap(out));
    return out;
  };
}

export const sliceFix: KernelFix = {
  kernelName: 'Slice',
  backendName: 'wasm',
  mode: 'wrap',
  create: (original) => ({
    ...(original as KernelConfig),
    kernelFunc: heapSlice((original as KernelConfig).kernelFunc),
  }),
};
