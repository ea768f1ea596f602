/**
 * Reuses the float32 arrays of freed kernel outputs on tfjs-backend-cpu for the next outputs of the
 * same length.
 *
 * Why: every tfjs-cpu kernel allocates its output fresh, and V8 backs each new large Float32Array with
 * fresh zeroed pages from the operating system, so the kernel that first writes it pays a page fault
 * per 4 KiB. On this project's VMs a fresh 88 MB array costs ~410 ms of CPU to fill the first time and
 * ~4 ms the next time: ~40% of a CNN's predict at batch 1,024 was these faults (bench/README.md,
 * finding 11). Strata's cpu kernels take their outputs from here (`outputArray`) instead.
 *
 * An array is recycled only when nothing else can still see it, which the pool tracks per array:
 * - it was made here, so it is no user's array (`tf.tensor(values)` stores the user's array itself);
 * - it was stored under exactly one data id, and the backend freed that id (the tfjs reference count
 *   reached 0: reshapes and identities share the data id, so they keep it alive);
 * - no read handed it out: tfjs-cpu's `readSync` (`dataSync`, `data`, `arraySync`, `bufferSync`) returns
 *   the stored array itself, so a read pins the array for good;
 * - no other data id stores it or a view on its memory (tfjs-cpu's contiguous `Slice` stores a
 *   `subarray` of its input): such a store pins it too.
 * Arrays freed while one of Strata's kernels runs (a composite's intermediates, released while their
 * values may still be read) wait until the outermost kernel returns.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';

/**
 * At most this many bytes of freed arrays are kept: a CNN predict at batch 1,024 frees ~150 MB of
 * layer outputs per batch, a training step at batch 128 ~30 MB. The oldest go first.
 */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

/** Where an array made here is: handed to a kernel, stored under one data id, free, or never again. */
type State = 'issued' | 'stored' | 'free' | 'pinned';

interface Tracked {
  array: Float32Array;
  state: State;
}

/** The part of tfjs-backend-cpu's MathBackendCPU the pool hooks into. */
interface CpuStorage {
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
  write(values: unknown, shape: number[], dtype: string): object;
  move(dataId: object, values: unknown, shape: number[], dtype: string, refCount: number): void;
  readSync(dataId: object): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
}

class OutputPool {
  /** Every array made here, by its memory (so a view on it is found too). */
  private readonly tracked = new WeakMap<ArrayBuffer, Tracked>();
  /** Free arrays by length, and all of them oldest first (for the size bound). */
  private readonly free = new Map<number, Float32Array[]>();
  private readonly order: Float32Array[] = [];
  private bytes = 0;
  /** Depth of Strata kernels running on this backend, and what they freed meanwhile. */
  depth = 0;
  private readonly pending: Float32Array[] = [];

  take(length: number): Float32Array {
    const array = this.free.get(length)?.pop();
    if (array == null) {
      const fresh = new Float32Array(length);
      this.tracked.set(fresh.buffer as ArrayBuffer, { array: fresh, state: 'issued' });
      return fresh;
    }
    this.order.splice(this.order.lastIndexOf(array), 1);
    this.bytes -= array.byteLength;
    (this.tracked.get(array.buffer as ArrayBuffer) as Tracked).state = 'issued';
    return array;
  }

  private find(values: unknown): Tracked | undefined {
    return ArrayBuffer.isView(values) ? this.tracked.get(values.buffer as ArrayBuffer) : undefined;
  }

  /** A data id now stores `values`: the first store of an issued array, or a sharing that pins it. */
  stored(values: unknown): void {
    const entry = this.find(values);
    if (entry == null) return;
    entry.state = entry.array === values && entry.state === 'issued' ? 'stored' : 'pinned';
  }

  /** `values` (or a view on them) left the backend: never recycle them. */
  pin(values: unknown): void {
    const entry = this.find(values);
    if (entry != null) entry.state = 'pinned';
  }

  /** The backend freed the data id that stored `values`. */
  freed(values: unknown): void {
    const entry = this.find(values);
    if (entry == null || entry.array !== values || entry.state !== 'stored') return;
    entry.state = 'free';
    if (this.depth > 0) this.pending.push(entry.array);
    else this.keep(entry.array);
  }

  /** The outermost kernel returned: what it freed can be reused. */
  settle(): void {
    for (const array of this.pending.splice(0)) this.keep(array);
  }

  private keep(array: Float32Array): void {
    const list = this.free.get(array.length) ?? [];
    list.push(array);
    this.free.set(array.length, list);
    this.order.push(array);
    this.bytes += array.byteLength;
    while (this.bytes > MAX_POOLED_BYTES) {
      const oldest = this.order.shift() as Float32Array;
      const same = this.free.get(oldest.length) as Float32Array[];
      same.splice(same.indexOf(oldest), 1);
      this.bytes -= oldest.byteLength;
      // Forgotten: the garbage collector takes it once nothing refers to it.
      (this.tracked.get(oldest.buffer as ArrayBuffer) as Tracked).state = 'pinned';
    }
  }
}

const pools = new WeakMap<object, OutputPool>();

/**
 * Gives a tfjs-backend-cpu instance an output pool: its `write`, `move`, `readSync` and `disposeData`
 * tell the pool what is stored, read and freed. Installing twice does nothing.
 */
export function installOutputPool(backend: object): void {
  if (pools.has(backend)) return;
  const pool = new OutputPool();
  const b = backend as CpuStorage;
  const { write, move, readSync, disposeData } = b;
  // Own properties in front of the prototype's methods: the backend's own calls (`makeTensorInfo`
  // calls `this.write`, `read` calls `this.readSync`) go through them too.
  b.write = (values, shape, dtype) => {
    pool.stored(values);
    return write.call(b, values, shape, dtype);
  };
  b.move = (dataId, values, shape, dtype, refCount) => {
    pool.stored(values);
    move.call(b, dataId, values, shape, dtype, refCount);
  };
  // `data.has` before `data.get`: tfjs's DataStorage.get moves data over from another backend when this
  // one does not hold it.
  const storedValues = (dataId: object) => (b.data.has(dataId) ? b.data.get(dataId)?.values : undefined);
  b.readSync = (dataId) => {
    const values = readSync.call(b, dataId);
    pool.pin(values);
    pool.pin(storedValues(dataId));
    return values;
  };
  b.disposeData = (dataId, force) => {
    const values = storedValues(dataId);
    const done = disposeData.call(b, dataId, force);
    if (values != null && !b.data.has(dataId)) pool.freed(values);
    return done;
  };
  pools.set(backend, pool);
}

/**
 * A float32 array of `length` for a kernel's output on `backend`: a freed output's when the backend has
 * a pool with one of that length (its old values left in place unless `zeroed`), otherwise a new one.
 */
export function outputArray(backend: unknown, length: number, zeroed = false): Float32Array {
  const pool = pools.get(backend as object);
  if (pool == null) return new Float32Array(length);
  const array = pool.take(length);
  if (zeroed) array.fill(0);
  return array;
}

/**
 * `fix` with its kernel run as one of Strata's kernels on a pooled backend: arrays freed while it runs
 * are reused only after it (and any kernel around it) returns.
 */
export function withOutputPool(fix: KernelFix): KernelFix {
  return {
    ...fix,
    create: (original) => {
      const config = fix.create(original);
      const run = config.kernelFunc;
      const kernelFunc: KernelFunc = (args) => {
        const pool = pools.get(args.backend as object);
        if (pool == null) return run(args);
        pool.depth++;
        try {
          return run(args) as TensorInfo | TensorInfo[];
        } finally {
          if (--pool.depth === 0) pool.settle();
        }
      };
      return { ...config, kernelFunc } as KernelConfig;
    },
  };
}
