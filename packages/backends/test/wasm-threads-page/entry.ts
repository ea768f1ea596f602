/**
 * The browser half of wasm-threads-browser.test.ts, bundled by esbuild: selects the wasm backend with
 * `setWasmThreads(threads)` in a page that is (or is not) cross-origin isolated, then checks kernels and
 * training on it against cpu.
 */
import '@strata/backends/cpu';
import { getBackend, setBackend } from '@strata/backends';
import { setWasmThreads } from '@strata/backends/wasm';
import { StrataAdamUpdate } from '@strata/core';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import type { Backend } from '../../src/kernels/wasm/call-kernel.js';
import {
  activeThreadPool,
  setActiveThreadPool,
  sharedHeapOf,
  threadedAdamUpdate,
} from '../../src/kernels/wasm/threaded/kernels.js';
import { JobKind, ThreadPool } from '../../src/kernels/wasm/threaded/pool.js';
import { type AdamUpdateCheck, checkAdamUpdate } from '../adam-update-check.js';
import { layerCases, recordKernels } from '../layer-cases.js';
import { networks, trainSteps } from '../tf-networks.js';

export interface PageResults {
  isolated: boolean;
  /** The error `setBackend('wasm')` threw, if it did (then nothing else ran). */
  error?: string;
  /** The backend active after the attempt. */
  backend: string;
  /** What Strata printed with console.warn while selecting wasm (twice). */
  warnings: string[];
  threads?: number;
  /** Threads of Strata's own kernels (their pool), or 1 where none runs. */
  strataThreads?: number;
  /**
   * Per case at the bench models' sizes: the worst difference from cpu of the value and of the gradients,
   * relative to each tensor's largest magnitude.
   */
  kernels?: Array<{ name: string; worstValue: number; worstGrad: number; leaked: number }>;
  layers?: Array<{ name: string; worstGradDiff: number }>;
  /** Losses before each of 3 steps and after the last; cpu's only in a full check. */
  training?: Array<{ name: string; wasm: number[]; cpu: number[]; leaked: number }>;
  adamUpdate?: AdamUpdateCheck[];
  /** Whether Strata's pool runs in tfjs's heap, and the bytes its kernels copied while training. */
  inPlace?: boolean;
  bytesCopied?: number;
  /** The pool's jobs while training, by kind. */
  jobsRun?: Record<string, number>;
  /** The threaded Adam on odd sizes against the single-threaded loop and a 1-thread pool (full check). */
  threadedAdam?: ThreadedAdamCheck;
  /** A failing job and backend removal (full check). */
  failures?: { trap: string; disposed: string; leakedData: number; workersAfterRemoval: number };
}

export interface ThreadedAdamCheck {
  /** The pool's default `minAdamElements`. */
  floor: number;
  sizes: number[];
  /** Jobs a 784x512 weight ran on the pool at that floor. */
  jobsUnderFloor: number;
  /** Per size: the jobs it ran on the pool (1 each), and whether its outputs equal the loop's bit for bit. */
  jobs: number[];
  equalToLoop: boolean[];
  equalOneThread: boolean[];
  leakedData: number;
}

const seeded = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** The products, convolutions and pooling of the bench's MLP and CNN at batch 8, forward and backward. */
const kernelCases: Array<{ name: string; inputs: number[][]; run(...xs: tf.Tensor[]): tf.Scalar }> = [
  {
    name: 'Dense 784→512 (fused bias + relu)',
    inputs: [[8, 784], [784, 512], [512]],
    run: (x, w, b) => tf.sum(tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' })),
  },
  {
    name: 'Conv2D 3x3 1→32 on 28x28 (fused bias + relu)',
    inputs: [[8, 28, 28, 1], [3, 3, 1, 32], [32]],
    run: (x, f, b) =>
      tf.sum(
        tf.square(
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            strides: 1,
            pad: 'valid',
            bias: b,
            activation: 'relu',
          }),
        ),
      ),
  },
  {
    name: 'Conv2D 3x3 32→64 on 13x13, stride 2, same padding',
    inputs: [
      [8, 13, 13, 32],
      [3, 3, 32, 64],
    ],
    run: (x, f) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'))),
  },
  {
    name: 'MaxPooling2D 2x2 on 26x26x32',
    inputs: [[8, 26, 26, 32]],
    run: (x) => tf.sum(tf.square(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'))),
  },
];

async function valueAndGrads(c: (typeof kernelCases)[number]): Promise<Float32Array[]> {
  const xs = c.inputs.map((shape, i) => seeded(shape, 11 + i));
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => c.run(...args))(xs);
  const out = await Promise.all([value, ...grads].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([value, ...grads, ...xs]);
  return out;
}

async function checkKernels(): Promise<PageResults['kernels']> {
  const out: NonNullable<PageResults['kernels']> = [];
  for (const c of kernelCases) {
    await setBackend('cpu');
    const cpu = await valueAndGrads(c);
    await setBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = await valueAndGrads(c);
    const leaked = tf.memory().numTensors - before;
    // Relative to the tensor's largest magnitude: an element near zero is a sum of terms that cancel.
    const worst = (i: number) => {
      const scale = 1 + cpu[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let w = 0;
      for (const [j, v] of cpu[i].entries()) {
        const d = Math.abs(v - wasm[i][j]) / scale;
        w = Math.max(w, Number.isNaN(d) ? Infinity : d);
      }
      return w;
    };
    const grads = cpu.slice(1).map((_, i) => worst(i + 1));
    out.push({ name: c.name, worstValue: worst(0), worstGrad: Math.max(...grads), leaked });
  }
  return out;
}

const ADAM_ATTRS = { alpha: 0.0123, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Adam's outputs (variable, m, v) for the four inputs, with the pool `pool` active (null: none). */
function adamWith(pool: ThreadPool | null, inputs: tf.Tensor[]): Float32Array[] {
  const active = activeThreadPool();
  setActiveThreadPool(pool);
  try {
    const [variable, gradient, m, v] = inputs;
    const outs = tf
      .engine()
      .runKernel(StrataAdamUpdate, { variable, gradient, m, v }, { ...ADAM_ATTRS }) as tf.Tensor[];
    const data = outs.map((t) => t.dataSync() as Float32Array);
    tf.dispose(outs);
    return data;
  } finally {
    setActiveThreadPool(active);
  }
}

const sameBits = (a: Float32Array[], b: Float32Array[]) =>
  a.every((x, i) => new Uint32Array(x.buffer).every((w, j) => w === new Uint32Array(b[i].buffer)[j]));

/** The threaded Adam in tfjs's heap on odd sizes: equal to the single-threaded loop, on 1 thread or 2. */
async function checkThreadedAdam(): Promise<ThreadedAdamCheck> {
  const pool = activeThreadPool() as ThreadPool;
  const one = await ThreadPool.create(1, sharedHeapOf(tf.backend() as Backend));
  const floor = pool.minAdamElements;
  // Odd sizes under the default floor (2^20 elements): every one on the pools.
  pool.minAdamElements = 0;
  one.minAdamElements = 0;
  const sizes = [784 * 512, 257 * 263, 65537, 3];
  const out: ThreadedAdamCheck = {
    floor,
    sizes,
    jobs: [],
    equalToLoop: [],
    equalOneThread: [],
    leakedData: 0,
    jobsUnderFloor: 0,
  };
  const dataBefore = tf.engine().backend.numDataIds();
  try {
    for (const n of sizes) {
      // v (the fourth) is never negative.
      const inputs = [1, 2, 3, 4].map((seed) =>
        tf.tidy(() => (seed === 4 ? tf.abs(seeded([n], seed)) : seeded([n], seed))),
      );
      const jobs = pool.jobsRun.adam;
      const two = adamWith(pool, inputs);
      out.jobs.push(pool.jobsRun.adam - jobs);
      out.equalToLoop.push(sameBits(two, adamWith(null, inputs)));
      out.equalOneThread.push(sameBits(two, adamWith(one, inputs)));
      tf.dispose(inputs);
    }
  } finally {
    pool.minAdamElements = floor;
    one.dispose();
  }
  // At the default floor the MLP's largest weight stays on the single-threaded loop.
  const inputs = [1, 2, 3, 4].map((seed) => tf.tidy(() => tf.abs(seeded([784, 512], seed))));
  const jobs = pool.jobsRun.adam;
  adamWith(pool, inputs);
  out.jobsUnderFloor = pool.jobsRun.adam - jobs;
  tf.dispose(inputs);
  out.leakedData = tf.engine().backend.numDataIds() - dataBefore;
  return out;
}

/**
 * A job that traps fails with a clear error; a disposed pool refuses work and its kernel leaves no tensor
 * data behind; removing the backend stops the active pool's workers.
 */
async function checkFailures(): Promise<PageResults['failures']> {
  const backend = tf.backend() as Backend;
  const broken = await ThreadPool.create(2, sharedHeapOf(backend));
  let trap = '';
  try {
    // Two chunks of Adam whose operands lie past the end of the heap: whichever thread claims one traps.
    const far = 2 ** 31;
    const job = { a: far, b: far, c: far, d: far, out: far, out2: far, out3: far, n: 16, chunk: 8 };
    broken.run(JobKind.adam, 2, job);
  } catch (e) {
    trap = (e as Error).message;
  }
  broken.dispose();
  const disposed = await ThreadPool.create(2, sharedHeapOf(backend));
  disposed.minAdamElements = 0;
  disposed.dispose();
  const inputs = [1, 2, 3, 4].map((seed) => tf.tidy(() => tf.abs(seeded([70000], seed))));
  const dataBefore = backend.numDataIds();
  let refused = '';
  try {
    const [variable, gradient, m, v] = inputs;
    threadedAdamUpdate(disposed, backend, { variable, gradient, m, v }, ADAM_ATTRS);
  } catch (e) {
    refused = (e as Error).message;
  }
  const leakedData = backend.numDataIds() - dataBefore;
  tf.dispose(inputs);
  const active = activeThreadPool() as ThreadPool;
  tf.removeBackend('wasm');
  return { trap, disposed: refused, leakedData, workersAfterRemoval: active.workerHandles().length };
}

/**
 * Selects wasm with `threads` and trains the networks on it; with `full`, also on cpu, and checks kernels,
 * layers and Adam.
 */
async function runChecks(threads: number | 'auto', full: boolean): Promise<PageResults> {
  setWasmPaths('/wasm/');
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
  const isolated = globalThis.crossOriginIsolated === true;
  await setBackend('cpu');
  try {
    setWasmThreads(threads);
    // Twice: the one-thread fallback must be said once.
    await setBackend('wasm');
    await setBackend('wasm');
  } catch (e) {
    return { isolated, error: (e as Error).message, backend: getBackend(), warnings };
  } finally {
    console.warn = warn;
  }
  const training: NonNullable<PageResults['training']> = [];
  const pool = activeThreadPool();
  const copiedBefore = pool?.bytesCopied ?? 0;
  const jobsBefore = { ...pool?.jobsRun };
  for (const net of networks) {
    await setBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = trainSteps(net, 3);
    const leaked = tf.memory().numTensors - before;
    await setBackend('cpu');
    training.push({ name: net.name, wasm, cpu: full ? trainSteps(net, 3) : [], leaked });
  }
  await setBackend('wasm');
  const threadsUsed = getThreadsCount();
  const strataThreads = pool?.threads ?? 1;
  const usage = {
    inPlace: pool?.inPlace,
    bytesCopied: (pool?.bytesCopied ?? 0) - copiedBefore,
    jobsRun: Object.fromEntries(
      Object.entries(pool?.jobsRun ?? {}).map(([k, v]) => [
        k,
        v - (jobsBefore[k as keyof typeof jobsBefore] ?? 0),
      ]),
    ),
  };
  if (!full)
    return {
      isolated,
      backend: getBackend(),
      warnings,
      threads: threadsUsed,
      strataThreads,
      training,
      ...usage,
    };
  const layers: NonNullable<PageResults['layers']> = [];
  for (const c of layerCases) {
    await setBackend('cpu');
    const cpu = await recordKernels(c);
    await setBackend('wasm');
    const wasm = await recordKernels(c, { profile: false });
    let worst = 0;
    for (const [i, g] of cpu.grads.entries()) {
      for (const [j, v] of g.entries()) worst = Math.max(worst, Math.abs(v - wasm.grads[i][j]));
    }
    layers.push({ name: c.name, worstGradDiff: worst });
  }
  const kernels = await checkKernels();
  await setBackend('wasm');
  const adamUpdate = await checkAdamUpdate('wasm');
  const threadedAdam = await checkThreadedAdam();
  const backendName = getBackend();
  // Before the backend is removed: tfjs's threaded build warns through the hook it captured when it
  // started, as it joins its threads.
  const selectionWarnings = [...warnings];
  const failures = await checkFailures();
  return {
    ...usage,
    threadedAdam,
    failures,
    isolated,
    backend: backendName,
    warnings: selectionWarnings,
    threads: threadsUsed,
    strataThreads,
    kernels,
    layers,
    training,
    adamUpdate,
  };
}

(globalThis as unknown as { runChecks: typeof runChecks }).runChecks = runChecks;
