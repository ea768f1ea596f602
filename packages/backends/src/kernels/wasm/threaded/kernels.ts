/**
 * The wasm backend's kernels on Strata's thread pool (pool.ts): matMul (with transposes and broadcast
 * batches) and the fused matMul's bias + ReLU; Conv2D and its filter gradient as im2col + that GEMM; and
 * MaxPool's gradient. tfjs-backend-wasm keeps tensors in its own heap, so each kernel copies its operands
 * into the pool's shared memory and its result back: O(n²) copies around the GEMM's O(n³) work (0.09 ms of
 * the MLP's 3-8 ms products; bench/README.md, route 2), and one pass each way around MaxPool's gradient,
 * which tfjs-wasm's kernels could only compose from a dozen whole-tensor ops.
 *
 * Kernels that tfjs-wasm already runs in one pass in place lose to those copies, so they stay there on one
 * thread: measured with a threaded column sum and a threaded Adam built the same way, the 128x512 bias
 * gradient took 0.23 ms against 0.04 ms in place, and Adam on a 784x512 weight 2.2 ms against 0.8 ms.
 *
 * Each kernel returns null where it does not apply (no pool, another activation, a batch broadcast it
 * does not handle); the caller then runs tfjs's kernel.
 */
import { type backend_util, type TensorInfo, util } from '@tensorflow/tfjs-core';

import type { Backend } from '../call-kernel.js';
import { type JobFields, JobKind, type ThreadPool } from './pool.js';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (its class is not exported as a type). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

let active: ThreadPool | null = null;

/** The pool the wasm backend's kernels run on, or null (one thread: tfjs's own kernels). */
export function activeThreadPool(): ThreadPool | null {
  return active;
}

/** Makes `pool` the one the kernels use (null: none). Its owner (the wasm backend) disposes it. */
export function setActiveThreadPool(pool: ThreadPool | null): void {
  active = pool;
}

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1 };

export interface MatMulArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo;
  activation?: string;
}

/** The batch shape two operands broadcast to, when one is unbatched or both match; else null. */
function batchShape(a: number[], b: number[]): number[] | null {
  const sizeA = util.sizeFromShape(a);
  const sizeB = util.sizeFromShape(b);
  if (sizeA === 1) return b.length >= a.length ? b : a;
  if (sizeB === 1) return a.length >= b.length ? a : b;
  return util.arraysEqual(a, b) ? a : null;
}

/** `op(a) · op(b)` (+ bias, activation) on `pool`, or null where it does not apply. */
export function threadedMatMul(
  pool: ThreadPool | null,
  backend: Backend,
  { a, b, transposeA, transposeB, bias, activation = 'linear' }: MatMulArgs,
): TensorInfo | null {
  if (pool === null || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const act = ACTIVATIONS[activation];
  if (act === undefined || a.shape.length < 2 || b.shape.length < 2) return null;
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const m = transposeA ? ca : ra;
  const k = transposeA ? ra : ca;
  const n = transposeB ? rb : cb;
  if ((transposeB ? cb : rb) !== k || m * n * k === 0) return null;
  const batch = batchShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === null || util.sizeFromShape(batch) * m * n * k < pool.minWork) return null;
  if (
    bias != null &&
    (bias.dtype !== 'float32' ||
      bias.shape[bias.shape.length - 1] !== n ||
      util.sizeFromShape(bias.shape) !== n)
  ) {
    return null;
  }
  const heap = backend as unknown as HeapBackend;
  const batches = util.sizeFromShape(batch);
  pool.resetArena();
  const at = {
    a: pool.place(heap.typedArrayFromHeap(a)),
    b: pool.place(heap.typedArrayFromHeap(b)),
    bias: bias == null ? 0 : pool.place(heap.typedArrayFromHeap(bias)),
    out: pool.place(batches * m * n),
  };
  runGemm(pool, at, {
    m,
    n,
    k,
    transA: transposeA ? 1 : 0,
    transB: transposeB ? 1 : 0,
    activation: act,
    batches,
    strideA: util.sizeFromShape(a.shape) === m * k ? 0 : m * k,
    strideB: util.sizeFromShape(b.shape) === k * n ? 0 : k * n,
  });
  return copyOut(pool, heap, at.out, [...batch, m, n]);
}

/** Runs a GEMM job on operands already in the pool's memory (byte offsets in `at`). */
function runGemm(
  pool: ThreadPool,
  at: { a: number; b: number; bias: number; out: number },
  dims: JobFields & { m: number; n: number; batches: number },
): void {
  const { batches, ...fields } = dims;
  const { rows, cols } = pool.tiles;
  const rowTiles = Math.ceil(dims.m / rows);
  const colTiles = Math.ceil(dims.n / cols);
  pool.run(JobKind.gemm, batches * rowTiles * colTiles, {
    ...at,
    ...fields,
    strideOut: dims.m * dims.n,
    rowTiles,
    colTiles,
  });
}

/**
 * The job fields of a sliding window's geometry (im2col's patches, MaxPool's gradient): the NHWC input and
 * output sizes, the window, its strides and dilations, and the padding before the first row and column.
 */
function windowFields(info: backend_util.Conv2DInfo): JobFields {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** The largest im2col matrix the threaded convolutions build (bytes); bigger ones go to tfjs's kernels. */
const MAX_PATCH_BYTES = 256 * 2 ** 20;

/**
 * Places `x` (NHWC) in the pool's memory and builds its patches there, `[batch · outH · outW, kH · kW · inC]`
 * in the order of a flattened `[kH, kW, inC, outC]` filter; returns their offset, or null when too large.
 */
function placePatches(
  pool: ThreadPool,
  heap: HeapBackend,
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
): number | null {
  const { batchSize, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const depth = filterHeight * filterWidth * inChannels;
  if (4 * batchSize * outHeight * outWidth * depth > MAX_PATCH_BYTES) return null;
  const a = pool.place(heap.typedArrayFromHeap(x));
  const out = pool.place(batchSize * outHeight * outWidth * depth);
  pool.run(JobKind.im2col, batchSize * outHeight, { a, out, ...windowFields(info) });
  return out;
}

/** Whether the threaded convolutions take this geometry (NHWC float32) and size. */
function convApplies(pool: ThreadPool, info: backend_util.Conv2DInfo, ...infos: TensorInfo[]): boolean {
  const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = info;
  const work = batchSize * outHeight * outWidth * outChannels * filterHeight * filterWidth * inChannels;
  return (
    info.dataFormat === 'channelsLast' && infos.every((t) => t.dtype === 'float32') && work >= pool.minWork
  );
}

/**
 * Conv2D (NHWC, + bias and ReLU when fused) as im2col and the GEMM on `pool`: patches · filter, with the
 * filter `[kH, kW, inC, outC]` read as `[kH · kW · inC, outC]`. Null where it does not apply.
 */
export function threadedConv2D(
  pool: ThreadPool | null,
  backend: Backend,
  {
    x,
    filter,
    bias,
    activation = 'linear',
  }: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; activation?: string },
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  const act = ACTIVATIONS[activation];
  if (pool === null || act === undefined || !convApplies(pool, info, x, filter)) return null;
  const n = info.outChannels;
  if (bias != null && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== n)) return null;
  const heap = backend as unknown as HeapBackend;
  pool.resetArena();
  const patches = placePatches(pool, heap, x, info);
  if (patches === null) return null;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const at = {
    a: patches,
    b: pool.place(heap.typedArrayFromHeap(filter)),
    bias: bias == null ? 0 : pool.place(heap.typedArrayFromHeap(bias)),
    out: pool.place(m * n),
  };
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  runGemm(pool, at, { m, n, k, activation: act, batches: 1, transA: 0, transB: 0, strideA: 0, strideB: 0 });
  return copyOut(pool, heap, at.out, info.outShape);
}

/**
 * Conv2D's filter gradient (NHWC) on `pool`: patchesᵀ · dy, `[kH · kW · inC, outC]` read as the filter's
 * shape. Null where it does not apply.
 */
export function threadedConv2DFilterGradient(
  pool: ThreadPool | null,
  backend: Backend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  if (pool === null || !convApplies(pool, info, x, dy)) return null;
  const heap = backend as unknown as HeapBackend;
  pool.resetArena();
  const patches = placePatches(pool, heap, x, info);
  if (patches === null) return null;
  const m = info.filterHeight * info.filterWidth * info.inChannels;
  const n = info.outChannels;
  const at = { a: patches, b: pool.place(heap.typedArrayFromHeap(dy)), bias: 0, out: pool.place(m * n) };
  const k = info.batchSize * info.outHeight * info.outWidth;
  runGemm(pool, at, { m, n, k, activation: 0, batches: 1, transA: 1, transB: 0, strideA: 0, strideB: 0 });
  return copyOut(pool, heap, at.out, [info.filterHeight, info.filterWidth, info.inChannels, n]);
}

/**
 * MaxPool's gradient (NHWC) on `pool`, one image per task: each window's dy goes to the first pixel
 * (row-major) holding its maximum. Copies the pooled input, dy and dx (O(n)) around a pass that tfjs-wasm's
 * kernels could only make as a dozen whole-tensor ops. Null where it does not apply.
 */
export function threadedMaxPoolGrad(
  pool: ThreadPool | null,
  backend: Backend,
  dy: TensorInfo,
  input: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  if (
    pool === null ||
    info.dataFormat !== 'channelsLast' ||
    dy.dtype !== 'float32' ||
    input.dtype !== 'float32'
  )
    return null;
  const heap = backend as unknown as HeapBackend;
  pool.resetArena();
  const at = {
    a: pool.place(heap.typedArrayFromHeap(input)),
    b: pool.place(heap.typedArrayFromHeap(dy)),
    out: pool.place(util.sizeFromShape(input.shape)),
  };
  pool.run(JobKind.maxPoolGrad, info.batchSize, { ...at, ...windowFields(info) });
  return copyOut(pool, heap, at.out, input.shape);
}

/** A new tfjs-wasm tensor of `shape` holding the floats at `at` in the pool's memory. */
function copyOut(pool: ThreadPool, heap: HeapBackend, at: number, shape: number[]): TensorInfo {
  const out = heap.makeOutput(shape, 'float32');
  heap.typedArrayFromHeap(out).set(pool.view(at, util.sizeFromShape(shape)));
  return out;
}
