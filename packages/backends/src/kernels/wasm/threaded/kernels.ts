/**
 * The wasm backend's kernels on Strata's thread pool (pool.ts): matMul (with transposes and broadcast
 * batches) and the fused matMul's bias + ReLU; Conv2D and its filter gradient as im2col + that GEMM;
 * MaxPool's gradient; and Adam's one-pass update.
 *
 * Where the pool runs in tfjs-backend-wasm's own heap (its threaded build, whose heap is a shared memory),
 * each kernel reads tfjs's tensors and writes its results in place. Elsewhere (Node: tfjs's heap is not
 * shared) it copies its operands into the pool's memory and its result back: O(n²) copies around the
 * GEMM's O(n³) work (0.09 ms of the MLP's 3-8 ms products; bench/README.md, route 2), and one pass each
 * way around MaxPool's gradient, which tfjs-wasm's kernels could only compose from a dozen whole-tensor
 * ops. Adam runs on the pool only in place, and only for large weights: with copies it lost to the
 * single-threaded pass (Adam on a 784x512 weight 2.2 ms against 0.8 ms), and in place it still does at that
 * size (pool.ts, `minAdamElements`).
 *
 * Each kernel returns null where it does not apply (no pool, another activation, a batch broadcast it
 * does not handle); the caller then runs tfjs's kernel.
 */
import type { StrataAdamUpdateAttrs, StrataAdamUpdateInputs } from '@strata/core';
import { type backend_util, type DataId, type TensorInfo, util } from '@tensorflow/tfjs-core';

import type { Backend } from '../call-kernel.js';
import { type JobFields, JobKind, type SharedHeap, type ThreadPool } from './pool.js';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (its class is not exported as a type). */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  getMemoryOffset(dataId: DataId): number;
  disposeData(dataId: DataId, force?: boolean): boolean;
  /** The Emscripten module: its memory (an export, or `wasmMemory` in the threaded build) and allocator. */
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    _malloc(bytes: number): number;
    _free(at: number): void;
  };
}

/** The memory of tfjs-backend-wasm's heap, where it has one. */
export function heapMemory(backend: HeapBackend): WebAssembly.Memory | undefined {
  return backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
}

/**
 * tfjs-backend-wasm's heap as a heap the pool can run in: where it is a shared memory (the threaded build,
 * in a cross-origin isolated page), else null (the SIMD build's heap is a plain `ArrayBuffer`).
 */
export function sharedHeapOf(backend: Backend): SharedHeap | null {
  const { wasm } = backend as unknown as HeapBackend;
  const memory = heapMemory(backend as unknown as HeapBackend);
  if (!(memory instanceof WebAssembly.Memory) || memory.buffer instanceof ArrayBuffer) return null;
  return { memory, malloc: (bytes) => wasm._malloc(bytes) >>> 0, free: (at) => wasm._free(at) };
}

/**
 * One kernel call's operands and results in the pool's memory: tfjs's tensors themselves where the pool
 * runs in tfjs's heap, else copies placed in the pool's own memory (and copied back by `results`).
 */
class KernelCall {
  private readonly outputs: Array<{ at: number; shape: number[]; info?: TensorInfo }> = [];

  constructor(
    readonly pool: ThreadPool,
    private readonly heap: HeapBackend,
  ) {
    pool.resetArena();
  }

  /** The byte offset of `info`'s floats in the pool's memory. */
  input(info: TensorInfo): number {
    if (this.pool.inPlace) return this.heap.getMemoryOffset(info.dataId);
    return this.pool.place(this.heap.typedArrayFromHeap(info));
  }

  /** The byte offset of a new float32 result of `shape` (uninitialised). */
  output(shape: number[]): number {
    if (!this.pool.inPlace) {
      const at = this.pool.place(util.sizeFromShape(shape));
      this.outputs.push({ at, shape });
      return at;
    }
    const info = this.heap.makeOutput(shape, 'float32');
    const at = this.heap.getMemoryOffset(info.dataId);
    this.outputs.push({ at, shape, info });
    return at;
  }

  /** The results, in the order `output` made them (copied into new tfjs tensors unless in place). */
  results(): TensorInfo[] {
    return this.outputs.map((o) => {
      if (o.info) return o.info;
      const info = this.heap.makeOutput(o.shape, 'float32');
      this.pool.read(o.at, this.heap.typedArrayFromHeap(info));
      return info;
    });
  }

  /**
   * Frees the call's temporaries, and its results too when it failed (`failed`): unless a job failed while
   * threads ran it, when a worker may still write to them (the pool refuses work from then on).
   */
  end(failed: boolean): void {
    this.pool.releaseTemps();
    if (!failed || this.pool.jobFailed) return;
    for (const o of this.outputs) if (o.info) this.heap.disposeData(o.info.dataId, true);
  }
}

/**
 * Runs `body` as one kernel call on `pool`: its results (null where `body` found the kernel does not
 * apply), with the call's temporaries freed, and nothing left behind when it throws.
 */
function onPool(
  pool: ThreadPool,
  backend: Backend,
  body: (call: KernelCall) => boolean,
): TensorInfo[] | null {
  const call = new KernelCall(pool, backend as unknown as HeapBackend);
  let ok = false;
  try {
    const applies = body(call);
    const results = applies ? call.results() : null;
    ok = applies;
    return results;
  } finally {
    call.end(!ok);
  }
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
  const batches = util.sizeFromShape(batch);
  return first(
    onPool(pool, backend, (call) => {
      const at = {
        a: call.input(a),
        b: call.input(b),
        bias: bias == null ? 0 : call.input(bias),
        out: call.output([...batch, m, n]),
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
      return true;
    }),
  );
}

/** The single result of a kernel call, or null. */
function first(results: TensorInfo[] | null): TensorInfo | null {
  return results === null ? null : results[0];
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
 * Builds the patches of `x` (NHWC) in the pool's memory, `[batch · outH · outW, kH · kW · inC]` in the
 * order of a flattened `[kH, kW, inC, outC]` filter; returns their offset, or null when too large.
 */
function placePatches(call: KernelCall, x: TensorInfo, info: backend_util.Conv2DInfo): number | null {
  const { batchSize, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const depth = filterHeight * filterWidth * inChannels;
  if (4 * batchSize * outHeight * outWidth * depth > MAX_PATCH_BYTES) return null;
  const a = call.input(x);
  const out = call.pool.temp(batchSize * outHeight * outWidth * depth);
  call.pool.run(JobKind.im2col, batchSize * outHeight, { a, out, ...windowFields(info) });
  return out;
}

/**
 * One kernel call on `pool` that builds the patches of `x` and runs the GEMM of `dims` with them as A;
 * `operands` places B, the bias and the output. Null when the patches would be too large.
 */
function patchesProduct(
  pool: ThreadPool,
  backend: Backend,
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
  dims: JobFields & { m: number; n: number; batches: number },
  operands: (call: KernelCall) => { b: number; bias: number; out: number },
): TensorInfo | null {
  return first(
    onPool(pool, backend, (call) => {
      const patches = placePatches(call, x, info);
      if (patches === null) return false;
      runGemm(pool, { a: patches, ...operands(call) }, dims);
      return true;
    }),
  );
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
  const m = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const dims = { m, n, k, activation: act, batches: 1, transA: 0, transB: 0, strideA: 0, strideB: 0 };
  return patchesProduct(pool, backend, x, info, dims, (call) => ({
    b: call.input(filter),
    bias: bias == null ? 0 : call.input(bias),
    out: call.output(info.outShape),
  }));
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
  const m = info.filterHeight * info.filterWidth * info.inChannels;
  const n = info.outChannels;
  const k = info.batchSize * info.outHeight * info.outWidth;
  const dims = { m, n, k, activation: 0, batches: 1, transA: 1, transB: 0, strideA: 0, strideB: 0 };
  return patchesProduct(pool, backend, x, info, dims, (call) => ({
    b: call.input(dy),
    bias: 0,
    out: call.output([info.filterHeight, info.filterWidth, info.inChannels, n]),
  }));
}

/**
 * MaxPool's gradient (NHWC) on `pool`, one image per task: each window's dy goes to the first pixel
 * (row-major) holding its maximum: one pass where tfjs-wasm's kernels could only compose a dozen
 * whole-tensor ops. Null where it does not apply.
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
  return first(
    onPool(pool, backend, (call) => {
      const at = { a: call.input(input), b: call.input(dy), out: call.output(input.shape) };
      pool.run(JobKind.maxPoolGrad, info.batchSize, { ...at, ...windowFields(info) });
      return true;
    }),
  );
}

/** Adam's elements per task: 7 arrays of 32 KiB, a few dozen tasks for the MLP's 784x512 weight. */
const ADAM_CHUNK = 8192;

/**
 * Adam's update (`StrataAdamUpdate`) on `pool`, in place in tfjs's heap: the new variable, m and v, with
 * the float32 arithmetic of the single-threaded loop (adam-update-simd.ts), so the results are the same.
 * Null without a pool running in tfjs's heap, or for a weight under `pool.minAdamElements` elements.
 */
export function threadedAdamUpdate(
  pool: ThreadPool | null,
  backend: Backend,
  inputs: StrataAdamUpdateInputs,
  attrs: StrataAdamUpdateAttrs,
): TensorInfo[] | null {
  const n = util.sizeFromShape(inputs.variable.shape);
  if (pool === null || !pool.inPlace || n < pool.minAdamElements) return null;
  const f = Math.fround;
  const shape = inputs.variable.shape;
  return onPool(pool, backend, (call) => {
    const fields = {
      a: call.input(inputs.variable),
      b: call.input(inputs.gradient),
      c: call.input(inputs.m),
      d: call.input(inputs.v),
      out: call.output(shape),
      out2: call.output(shape),
      out3: call.output(shape),
    };
    pool.run(JobKind.adam, Math.ceil(n / ADAM_CHUNK), {
      ...fields,
      n,
      chunk: ADAM_CHUNK,
      keepM: f(1 - attrs.beta1),
      keepV: f(1 - attrs.beta2),
      alpha: f(attrs.alpha),
      epsilon: f(attrs.epsilon),
    });
    return true;
  });
}
