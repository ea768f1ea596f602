/**
 * Strata's own thread pool for its threaded WebAssembly kernels (csrc/strata-kernels.c): one module,
 * instantiated on the calling thread and on `threads - 1` workers (`worker_threads` in Node, Web Workers
 * in a browser) over one shared `WebAssembly.Memory`.
 *
 * That memory is either tfjs-backend-wasm's own heap, where it is shared (its threaded build, in a cross-
 * origin isolated page): kernels then read their operands and write their results in place, and the pool
 * takes its control words, stacks and scratch from tfjs's allocator; or the pool's own memory (Node, where
 * tfjs's heap is not shared): kernels then copy their operands in and their results out.
 *
 * A kernel writes a job, wakes the workers and runs its own share; every thread claims tasks from the
 * job's atomic counter, and the caller waits until all tasks are done (`Atomics.wait` where the thread may
 * block, a spin on `Atomics.load` on a browser's main thread). A worker that throws reports it through the
 * shared memory; one that stops (crashed, terminated) fails the next job, or the current one once it makes
 * no progress for `stallTimeoutMs`. Node's workers are unref'd: they never keep a script alive.
 */
import { RuntimeError } from '@strata/core';

import { isNode } from '../../../node-paths.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

/** The C struct Job's fields (csrc/strata-kernels.c), in order; each 4 bytes. */
const JOB_FIELDS = [
  'kind',
  'next',
  'done',
  'tasks',
  'scratch',
  'scratchStride',
  'a',
  'b',
  'out',
  'bias',
  'm',
  'n',
  'k',
  'transA',
  'transB',
  'activation',
  'strideA',
  'strideB',
  'strideOut',
  'rowTiles',
  'colTiles',
  'batch',
  'inH',
  'inW',
  'inC',
  'outH',
  'outW',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'dilationH',
  'dilationW',
  'padTop',
  'padLeft',
  'c',
  'd',
  'out2',
  'out3',
  'chunk',
  'keepM',
  'keepV',
  'alpha',
  'epsilon',
] as const;
type JobField = (typeof JOB_FIELDS)[number];
const FIELD_INDEX = new Map(JOB_FIELDS.map((f, i) => [f, i]));
/** The fields the C side declares `float` (the rest are `int`). */
const FLOAT_FIELDS = new Set<JobField>(['keepM', 'keepV', 'alpha', 'epsilon']);
const JOB_BYTES = 4 * JOB_FIELDS.length;

/** The job kinds of the C side's `run`. */
export const JobKind = { gemm: 1, im2col: 2, maxPoolGrad: 3, adam: 4 } as const;

/**
 * Another program's shared heap the pool runs in (tfjs-backend-wasm's threaded build): its memory and
 * its allocator, for the pool's own blocks and the kernels' temporaries.
 */
export interface SharedHeap {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(at: number): void;
}

/** A job's fields other than the bookkeeping ones `run` sets. */
export type JobFields = Partial<
  Record<Exclude<JobField, 'kind' | 'next' | 'done' | 'tasks' | 'scratch' | 'scratchStride'>, number>
>;

// Control words (int32 indices from CONTROL): the job generation workers wait on, the failing thread
// (+1) and its message's byte length; the message follows at MESSAGE.
const GEN = 0;
const ERROR_THREAD = 1;
const ERROR_LENGTH = 2;
const CONTROL_BYTES = 64;
const MESSAGE_BYTES = 448;
const STACK_BYTES = 65536;
const PAGE = 65536;
const MAX_PAGES = 16384; // the pool's own memory: at most 1 GiB (the module admits 4; csrc/build.sh)
const AGAIN = "Remove the wasm backend (tf.removeBackend('wasm')) and select it again.";

/**
 * The worker's whole program, plain JavaScript for both `worker_threads` (eval) and Web Workers (a blob
 * URL): instantiate the module on the shared memory, then run each job it is woken for.
 */
const WORKER_SOURCE = `
const node = typeof self === 'undefined';
const port = node ? require('node:worker_threads').parentPort : self;
const listen = (f) => node ? port.on('message', f) : (self.onmessage = (e) => f(e.data));
listen(({ module, memory, thread, control, message, job, stackTop }) => {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  instance.exports.__stack_pointer.value = stackTop;
  const words = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
  let seen = Atomics.load(words, ${GEN});
  port.postMessage({ ready: thread });
  for (;;) {
    Atomics.wait(words, ${GEN}, seen);
    seen = Atomics.load(words, ${GEN});
    try {
      instance.exports.run(job, thread);
    } catch (err) {
      const text = new TextEncoder().encode(String(err && err.stack || err)).slice(0, ${MESSAGE_BYTES});
      new Uint8Array(memory.buffer, message, text.length).set(text);
      Atomics.store(words, ${ERROR_LENGTH}, text.length);
      Atomics.store(words, ${ERROR_THREAD}, thread + 1);
      Atomics.notify(new Int32Array(memory.buffer, job, 4), 2);
    }
  }
});
`;

interface WorkerHandle {
  terminate(): unknown;
  /** Why it stopped, once it has. */
  stopped?: string;
}

let compiled: Promise<WebAssembly.Module> | undefined;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The compiled kernels module (asynchronously: a browser's main thread may not compile it synchronously). */
function kernelsModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(decodeBase64(KERNELS_WASM_BASE64) as BufferSource);
  return compiled;
}

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
function canBlock(): boolean {
  if (isNode()) return true;
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
}

const now = () => (globalThis.performance ?? Date).now();

async function startWorker(
  data: Record<string, unknown>,
  onStop: (why: string) => void,
): Promise<WorkerHandle> {
  if (isNode()) {
    // Through getBuiltinModule, not an import: a browser bundle needs no Node shims (node-paths.ts).
    const { Worker } = process.getBuiltinModule(
      'node:worker_threads',
    ) as typeof import('node:worker_threads');
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('error', (err) => onStop(`it threw ${err?.message ?? err}`));
    worker.on('exit', (code) => onStop(`it exited with code ${code}`));
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.postMessage(data);
    });
    worker.unref();
    return worker;
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.addEventListener('error', (e) => onStop(`it threw ${e.message}`));
  await new Promise<void>((resolve, reject) => {
    worker.addEventListener('message', () => resolve(), { once: true });
    worker.addEventListener(
      'error',
      (e) => reject(new RuntimeError(`A wasm thread failed to start: ${e.message}`)),
      {
        once: true,
      },
    );
    worker.postMessage(data);
  });
  return worker;
}

/** A pool of `threads` threads (the caller's and `threads - 1` workers) running Strata's wasm kernels. */
export class ThreadPool {
  /** How long a job may go without a finished task before it fails (a stopped worker never finishes). */
  stallTimeoutMs = 30_000;
  /**
   * Products (and convolutions) of fewer multiply-adds stay on tfjs's single-threaded kernel: waking the
   * workers and copying the operands cost more than they save (Chromium, batch-1 predict of the bench's MLP:
   * 0.27 ms on the pool against 0.08 ms on XNNPACK; 2^21 multiply-adds take ~0.15 ms at 15 GFLOP/s).
   */
  minWork = 2 ** 21;
  /**
   * Adam's update runs here (in place in tfjs's heap) from this many elements; smaller weights stay on
   * the single-threaded f32x4 loop. Adam is a memory-bound pass: in Chromium at load 15 on 2 cores, the
   * MLP's 784x512 weight took 0.36-0.40 ms at best on 2 threads against 0.24-0.27 ms on one, and a
   * 2048x2048 weight 3.9 ms against 4.5 (bench/README.md, route 2).
   */
  minAdamElements = 2 ** 20;
  /** How many jobs this pool has run, by kind (what a profile or a test reads to see the kernels ran here). */
  readonly jobsRun: Record<keyof typeof JobKind, number> = { gemm: 0, im2col: 0, maxPoolGrad: 0, adam: 0 };
  /** Bytes the kernels copied into and out of the pool's memory (0 while they run in place). */
  bytesCopied = 0;
  private readonly exports: {
    run(job: number, thread: number): void;
    scratch_bytes(): number;
    tile_rows(): number;
    tile_cols(): number;
    __stack_pointer: WebAssembly.Global;
  };
  private workers: WorkerHandle[] = [];
  private broken: string | undefined;
  /** Whether a job failed (a worker may still write to the pool's blocks: they are never freed then). */
  private failed = false;
  private freed = false;
  /** Where the pool's block (control words, job, stacks, scratch) starts, as allocated. */
  private readonly blockStart: number;
  private readonly control: number;
  private readonly message: number;
  private readonly job: number;
  private readonly stacks: number;
  private readonly scratch: number;
  private readonly scratchStride: number;
  /** The pool's own memory: where operands go, from here to the end of memory, reused by every job. */
  private readonly arena: number;
  private arenaTop: number;
  /** Temporaries taken from the shared heap's allocator for the current kernel call. */
  private temps: number[] = [];

  private constructor(
    readonly threads: number,
    private readonly memory: WebAssembly.Memory,
    instance: WebAssembly.Instance,
    /** The heap the pool runs in, or null: its own memory. */
    private readonly heap: SharedHeap | null,
  ) {
    this.exports = instance.exports as unknown as ThreadPool['exports'];
    this.scratchStride = align(this.exports.scratch_bytes(), 64);
    const bytes =
      CONTROL_BYTES + MESSAGE_BYTES + align(JOB_BYTES, 64) + threads * (STACK_BYTES + this.scratchStride);
    // The block's start: after the module's own stack in its own memory, else from the heap's allocator.
    const base =
      heap === null
        ? ((instance.exports.__heap_base as WebAssembly.Global).value as number)
        : heap.malloc(bytes + 64);
    if (heap !== null && base === 0) {
      throw new RuntimeError(`Strata's wasm threads could not allocate ${bytes} bytes in tfjs's heap.`);
    }
    this.control = align(base, 64);
    this.blockStart = base;
    this.message = this.control + CONTROL_BYTES;
    this.job = this.message + MESSAGE_BYTES;
    this.stacks = this.job + align(JOB_BYTES, 64);
    this.scratch = this.stacks + threads * STACK_BYTES;
    this.arena = align(this.scratch + threads * this.scratchStride, 64);
    this.arenaTop = this.arena;
    if (heap === null) this.reserve(this.arena);
    new Uint8Array(this.memory.buffer, this.control, CONTROL_BYTES + MESSAGE_BYTES + JOB_BYTES).fill(0);
    this.exports.__stack_pointer.value = this.stackTop(0);
  }

  /**
   * Starts `threads - 1` workers; resolves once every one is ready. With `heap`, the pool runs in that
   * shared heap (kernels in place); without, in a memory of its own (kernels copy their operands).
   */
  static async create(threads: number, heap: SharedHeap | null = null): Promise<ThreadPool> {
    const module = await kernelsModule();
    const memory = heap?.memory ?? new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const pool = new ThreadPool(threads, memory, instance, heap);
    try {
      for (let t = 1; t < threads; t++) {
        const data = {
          module,
          memory,
          thread: t,
          control: pool.control,
          message: pool.message,
          job: pool.job,
          stackTop: pool.stackTop(t),
        };
        const handle = await startWorker(data, (why) => {
          handle.stopped ??= why;
        });
        pool.workers.push(handle);
      }
    } catch (err) {
      pool.dispose();
      throw err;
    }
    return pool;
  }

  /** Whether kernels read and write tfjs's tensors in place (the pool runs in tfjs's shared heap). */
  get inPlace(): boolean {
    return this.heap !== null;
  }

  /** The output tile a GEMM task computes (the C side's MC x NC). */
  get tiles() {
    return { rows: this.exports.tile_rows(), cols: this.exports.tile_cols() };
  }

  /** Stops the workers; the pool cannot run jobs afterwards. */
  dispose(): void {
    this.broken ??= 'the pool was disposed (its backend was removed)';
    for (const w of this.workers) w.terminate();
    this.workers = [];
    if (this.heap !== null && !this.failed && !this.freed) {
      this.releaseTemps();
      this.heap.free(this.blockStart);
      this.freed = true;
    }
  }

  /** Test hook: the workers' handles (to stop one as a crash would). */
  workerHandles(): readonly WorkerHandle[] {
    return this.workers;
  }

  /** Frees every operand placed since the last `resetArena` (each kernel call starts with this). */
  resetArena(): void {
    this.arenaTop = this.arena;
  }

  /** Places `values` (or `length` floats, uninitialised) in the pool's memory; returns the byte offset. */
  place(values: Float32Array | number): number {
    const length = typeof values === 'number' ? values : values.length;
    const at = this.arenaTop;
    this.arenaTop = align(at + 4 * length, 16);
    this.reserve(this.arenaTop);
    if (typeof values !== 'number') {
      new Float32Array(this.memory.buffer, at, length).set(values);
      this.bytesCopied += values.byteLength;
    }
    return at;
  }

  /**
   * `length` floats of scratch for the current kernel call (an im2col matrix): from the shared heap's
   * allocator (freed by `releaseTemps`), or the pool's own memory.
   */
  temp(length: number): number {
    if (this.heap === null) return this.place(length);
    const at = this.heap.malloc(4 * length);
    if (at === 0) {
      throw new RuntimeError(`Strata's wasm threads could not allocate ${4 * length} bytes in tfjs's heap.`);
    }
    this.temps.push(at);
    return at;
  }

  /**
   * Frees the current kernel call's temporaries (`temp`); after a failed job they stay allocated, since a
   * worker may still write to them.
   */
  releaseTemps(): void {
    if (this.heap !== null && !this.failed) for (const at of this.temps) this.heap.free(at);
    this.temps = [];
  }

  /** Whether a job failed while threads ran it (its buffers may still be written to). */
  get jobFailed(): boolean {
    return this.failed;
  }

  /** Copies `into.length` floats at byte offset `at` into `into`. */
  read(at: number, into: Float32Array): void {
    into.set(new Float32Array(this.memory.buffer, at, into.length));
    this.bytesCopied += into.byteLength;
  }

  /** Runs a job of `tasks` tasks on every thread; throws if a thread failed or stopped. */
  run(kind: number, tasks: number, fields: JobFields): void {
    this.checkUsable();
    const words = new Int32Array(this.memory.buffer);
    const floats = new Float32Array(this.memory.buffer);
    const base = this.job >> 2;
    for (const [name, value] of Object.entries(fields) as Array<[JobField, number]>) {
      const i = base + (FIELD_INDEX.get(name) as number);
      if (FLOAT_FIELDS.has(name)) floats[i] = value;
      else words[i] = value;
    }
    words[base] = kind;
    words[base + 5] = this.scratchStride;
    words[base + 4] = this.scratch;
    Atomics.store(words, base + 3, tasks);
    Atomics.store(words, base + 2, 0);
    Atomics.store(words, base + 1, 0);
    const control = this.control >> 2;
    // One task: the caller runs it alone (waking workers costs more than it saves).
    if (tasks > 1 && this.workers.length > 0) {
      Atomics.add(words, control + GEN, 1);
      Atomics.notify(words, control + GEN);
    }
    try {
      this.exports.run(this.job, 0);
    } catch (err) {
      // Workers may still run this job's tasks: the pool cannot take another.
      this.fail(`the calling thread threw ${String(err)}`);
      throw new RuntimeError(`Strata's wasm threads failed: ${this.broken}. ${AGAIN}`);
    }
    this.waitForTasks(words, base + 2, tasks);
    const name = (Object.keys(JobKind) as Array<keyof typeof JobKind>).find((k) => JobKind[k] === kind);
    if (name !== undefined) this.jobsRun[name]++;
  }

  /** Thread `thread`'s stack top (stacks grow down; 16-byte aligned). */
  private stackTop(thread: number): number {
    return this.stacks + (thread + 1) * STACK_BYTES;
  }

  private fail(why: string): void {
    this.broken = why;
    this.failed = true;
  }

  private waitForTasks(words: Int32Array, doneIndex: number, tasks: number): void {
    const block = canBlock();
    let last = -1;
    let since = now();
    for (;;) {
      const done = Atomics.load(words, doneIndex);
      if (done >= tasks) return;
      this.checkThreadError(words);
      if (done !== last) {
        last = done;
        since = now();
      } else if (now() - since > this.stallTimeoutMs) {
        this.fail(
          `a job made no progress for ${this.stallTimeoutMs} ms (${this.workers.length} workers; one crashed or was stopped${this.stoppedReason()})`,
        );
        throw new RuntimeError(`Strata's wasm threads failed: ${this.broken}. ${AGAIN}`);
      }
      if (block) Atomics.wait(words, doneIndex, done, 50);
    }
  }

  private stoppedReason(): string {
    const stopped = this.workers.findIndex((w) => w.stopped != null);
    return stopped < 0 ? '' : `: thread ${stopped + 1} stopped, ${this.workers[stopped].stopped}`;
  }

  private checkThreadError(words: Int32Array): void {
    const control = this.control >> 2;
    const thread = Atomics.load(words, control + ERROR_THREAD);
    if (thread === 0) return;
    const length = Atomics.load(words, control + ERROR_LENGTH);
    const text = new TextDecoder().decode(new Uint8Array(this.memory.buffer, this.message, length).slice());
    this.fail(`thread ${thread - 1} threw ${text.split('\n')[0]}`);
    throw new RuntimeError(`Strata's wasm threads failed: ${this.broken}. ${AGAIN}`);
  }

  private checkUsable(): void {
    if (this.broken == null) {
      const stopped = this.stoppedReason();
      if (stopped !== '') this.broken = `a worker is gone${stopped}`;
    }
    if (this.broken != null) {
      throw new RuntimeError(`Strata's wasm threads cannot run: ${this.broken}. ${AGAIN}`);
    }
  }

  /** Grows the pool's own memory to hold `bytes`, failing clearly past its 1 GiB. */
  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new RuntimeError(
        `Strata's wasm threads hold at most ${MAX_PAGES * PAGE} bytes of operands. Received: a kernel needing ${bytes} bytes`,
      );
    }
    this.memory.grow(pages);
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
