/**
 * Strata's threaded wasm kernels (src/kernels/wasm/threaded) in Node, on `worker_threads`: parity with
 * tfjs's cpu kernels on random shapes (odd sizes, transposes, batch 1, broadcast batches, sizes that are
 * not multiples of the SIMD width or the tiles; convolutions with strides, padding and dilation),
 * gradients included; the same results on 1 and 2 threads;
 * training on 2 threads equal to cpu; a failing or stopped worker fails the op with a clear error; the
 * workers stop with the backend; a script exits by itself after `fit`.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { RuntimeError, StrataAdamUpdate } from '@strata/core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { setBackend } from '../src/index.js';
import '../src/cpu.js';
import { activeThreadPool, setActiveThreadPool } from '../src/kernels/wasm/threaded/kernels.js';
import { JobKind, ThreadPool } from '../src/kernels/wasm/threaded/pool.js';
import { setWasmThreads } from '../src/wasm.js';
import { mlp, trainSteps } from './tf-networks.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A product case: shapes of a and b, transposes, and an optional bias + activation (fused). */
interface Case {
  a: number[];
  b: number[];
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: number[];
  activation?: 'linear' | 'relu';
  /** tfjs 4.22 has no gradient for a product with a broadcast batch: value only. */
  valueOnly?: boolean;
}

const cases: Case[] = [
  { a: [1, 1], b: [1, 1] },
  { a: [1, 784], b: [784, 512] },
  { a: [5, 3], b: [3, 7] },
  { a: [67, 259], b: [259, 131] },
  { a: [259, 67], b: [259, 131], transposeA: true },
  { a: [67, 259], b: [131, 259], transposeB: true },
  { a: [259, 67], b: [131, 259], transposeA: true, transposeB: true },
  { a: [130, 513], b: [513, 10], bias: [10], activation: 'relu' },
  { a: [33, 70], b: [19, 70], transposeB: true, bias: [19], activation: 'linear' },
  { a: [3, 9, 13], b: [3, 13, 6] },
  { a: [4, 17, 5], b: [5, 9], valueOnly: true },
  { a: [11, 2], b: [2, 2, 11], transposeA: true, transposeB: true, valueOnly: true },
];

/** A convolution case (NHWC): input and filter shapes, geometry, and an optional fused bias + relu. */
interface ConvCase {
  x: number[];
  filter: number[];
  strides: number | [number, number];
  pad: 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
  dilations?: number | [number, number];
  fused?: boolean;
}

const convCases: ConvCase[] = [
  { x: [1, 5, 5, 1], filter: [3, 3, 1, 3], strides: 1, pad: 'valid' },
  { x: [3, 13, 11, 5], filter: [3, 3, 5, 7], strides: 2, pad: 'same' },
  { x: [2, 9, 10, 6], filter: [2, 3, 6, 9], strides: [1, 2], pad: 'valid', fused: true },
  { x: [2, 12, 12, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same', dilations: 2 },
  {
    x: [1, 7, 8, 4],
    filter: [3, 2, 4, 5],
    strides: 1,
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
    fused: true,
  },
];

/** The convolution, and its gradients with respect to every input, as host arrays. */
function convValueAndGrads(c: ConvCase): Float32Array[] {
  const inputs = [c.x, c.filter, ...(c.fused ? [[c.filter[3]]] : [])].map((s, i) => seeded(s, 21 + i));
  const f = (x: tf.Tensor, filter: tf.Tensor, bias?: tf.Tensor) =>
    tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: filter as tf.Tensor4D,
      strides: c.strides,
      pad: c.pad,
      dilations: c.dilations,
      bias,
      activation: c.fused ? 'relu' : 'linear',
    });
  // tfjs 4.22 has no convolution gradients with dilations > 1: the value only.
  return hostValueAndGrads(inputs, f, c.dilations != null);
}

const seeded = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** The case's output and its gradients with respect to every input, as host arrays. */
function valueAndGrads(c: Case): Float32Array[] {
  const inputs = [c.a, c.b, ...(c.bias ? [c.bias] : [])].map((s, i) => seeded(s, 7 + i));
  const f = (a: tf.Tensor, b: tf.Tensor, bias?: tf.Tensor) =>
    c.bias
      ? tf.fused.matMul({
          a,
          b,
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          bias,
          activation: c.activation,
        })
      : tf.matMul(a, b, c.transposeA, c.transposeB);
  return hostValueAndGrads(inputs, f, c.valueOnly === true);
}

/**
 * `f(...inputs)` and, unless `valueOnly`, its gradients with respect to every input under a non-uniform
 * upstream gradient (so each gradient kernel sees distinct values), as host arrays; frees the inputs.
 */
function hostValueAndGrads(
  inputs: tf.Tensor[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  valueOnly: boolean,
): Float32Array[] {
  const out = tf.tidy(() => {
    const value = f(...inputs);
    if (valueOnly) return [value];
    const weights = seeded(value.shape, 99);
    const { grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weights)))(inputs);
    return [value, ...grads];
  });
  const arrays = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...inputs, ...out]);
  return arrays;
}

/** The largest difference relative to 1 + the tensor's largest magnitude. */
function worstDiff(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  const scale = 1 + want.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
  return worst;
}

describe('threaded wasm kernels in Node (2 threads)', () => {
  let pool: ThreadPool;
  let one: ThreadPool;
  const onCpu: Float32Array[][] = [];
  const convOnCpu: Float32Array[][] = [];

  beforeAll(async () => {
    await setBackend('cpu');
    for (const c of cases) onCpu.push(valueAndGrads(c));
    for (const c of convCases) convOnCpu.push(convValueAndGrads(c));
    setWasmThreads(2);
    await setBackend('wasm');
    pool = activeThreadPool() as ThreadPool;
    one = await ThreadPool.create(1);
    // Every case on the pools, however small (a product below minWork stays on tfjs's kernel).
    expect(pool.minWork).toBe(2 ** 21);
    pool.minWork = 0;
    one.minWork = 0;
  }, 120_000);

  afterAll(() => {
    one?.dispose();
  });

  it('runs on a pool of 2 threads while tfjs-wasm itself runs one', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(pool.threads).toBe(2);
    expect(pool.workerHandles()).toHaveLength(1);
    expect(getThreadsCount()).toBe(1);
  });

  /**
   * Runs `run` on the 2-thread pool, then on a 1-thread one: the first within 1e-5 of `cpu` with no tensors
   * left, the second equal to it bit for bit.
   */
  function expectParity(label: string, run: () => Float32Array[], cpu: Float32Array[]): void {
    const before = tf.memory().numTensors;
    const two = run();
    expect(tf.memory().numTensors, label).toBe(before);
    for (const [j, got] of two.entries()) {
      expect(worstDiff(got, cpu[j]), `${label} output ${j}`).toBeLessThan(1e-5);
    }
    setActiveThreadPool(one);
    try {
      for (const [j, got] of run().entries()) expect(got, `${label} output ${j}`).toEqual(two[j]);
    } finally {
      setActiveThreadPool(pool);
    }
  }

  it('matMul and the fused matMul (bias + relu), with their gradients, match cpu; 1 and 2 threads agree exactly; nothing leaks', () => {
    for (const [i, c] of cases.entries()) {
      const { gemm } = pool.jobsRun;
      expectParity(JSON.stringify(c), () => valueAndGrads(c), onCpu[i]);
      // The product (twice: for the value, then under the gradient) and its two gradient products.
      expect(pool.jobsRun.gemm - gemm, JSON.stringify(c)).toBe(c.valueOnly ? 1 : 4);
    }
  });

  it('Conv2D and the fused Conv2D (im2col + GEMM), with their input and filter gradients, match cpu on odd shapes, strides, padding and dilation; 1 and 2 threads agree exactly; nothing leaks', () => {
    for (const [i, c] of convCases.entries()) {
      const { im2col, gemm } = pool.jobsRun;
      expectParity(JSON.stringify(c), () => convValueAndGrads(c), convOnCpu[i]);
      // The forward pass (twice: for the value, then under the gradient), and without dilation the input
      // gradient (a convolution) and the filter gradient (an im2col product): each ran on the pool.
      const convolutions = c.dilations ? 1 : 4;
      expect(pool.jobsRun.im2col - im2col, JSON.stringify(c)).toBe(convolutions);
      expect(pool.jobsRun.gemm - gemm, JSON.stringify(c)).toBe(convolutions);
    }
  });

  it("MaxPool's gradient matches cpu (first maximum, overlapping windows, padding, negative values); 1 and 2 threads agree exactly", async () => {
    const poolCases = [
      { x: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' as const },
      { x: [1, 9, 7, 5], size: 3, strides: 2, pad: 'same' as const },
      { x: [3, 6, 6, 4], size: [2, 3] as [number, number], strides: 1, pad: 'valid' as const },
    ];
    const gradient = (c: (typeof poolCases)[number]) =>
      tf.tidy(() => {
        // Rounded to integers: equal values in a window, so the first-maximum rule decides.
        const x = tf.round(tf.mul(seeded(c.x, 5), 2));
        return tf
          .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.size, c.strides, c.pad), 3)))(
            x,
          )
          .dataSync() as Float32Array;
      });
    for (const c of poolCases) {
      const { maxPoolGrad } = pool.jobsRun;
      const before = tf.memory().numTensors;
      const two = gradient(c);
      expect(tf.memory().numTensors).toBe(before);
      expect(pool.jobsRun.maxPoolGrad - maxPoolGrad).toBe(1);
      setActiveThreadPool(one);
      const single = gradient(c);
      setActiveThreadPool(pool);
      expect(single).toEqual(two);
      await setBackend('cpu');
      expect(tf.getBackend()).toBe('cpu');
      const cpu = gradient(c);
      await setBackend('wasm');
      expect(two, JSON.stringify(c)).toEqual(cpu);
    }
  });

  it("the threaded Adam job gives the single-threaded kernel's results bit for bit on odd sizes, on 1 and 2 threads", () => {
    const attrs = { alpha: 0.0123, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    for (const n of [1, 7, 8193, 70001]) {
      const inputs = [1, 2, 3, 4].map((seed) =>
        tf.tidy(() => (seed === 4 ? tf.abs(seeded([n], seed)) : seeded([n], seed))),
      );
      const [variable, gradient, m, v] = inputs;
      // The wasm backend's kernel: not on the pool in Node (tfjs's heap is not shared), so the f32x4 loop.
      const outs = tf
        .engine()
        .runKernel(StrataAdamUpdate, { variable, gradient, m, v }, attrs) as tf.Tensor[];
      const want = outs.map((t) => t.dataSync() as Float32Array);
      for (const p of [pool, one]) {
        const { adam } = p.jobsRun;
        p.resetArena();
        const [a, b, c, d] = inputs.map((t) => p.place(t.dataSync() as Float32Array));
        const [out, out2, out3] = [n, n, n].map((length) => p.place(length));
        const f = Math.fround;
        p.run(JobKind.adam, Math.ceil(n / 4096), {
          a,
          b,
          c,
          d,
          out,
          out2,
          out3,
          n,
          chunk: 4096,
          keepM: f(1 - attrs.beta1),
          keepV: f(1 - attrs.beta2),
          alpha: f(attrs.alpha),
          epsilon: f(attrs.epsilon),
        });
        expect(p.jobsRun.adam).toBe(adam + 1);
        const got = [out, out2, out3].map((at) => {
          const into = new Float32Array(n);
          p.read(at, into);
          return into;
        });
        for (const [j, x] of got.entries())
          expect(x, `n=${n} output ${j}, ${p.threads} threads`).toEqual(want[j]);
      }
      tf.dispose([...inputs, ...outs]);
    }
  });

  it("a product or convolution below minWork multiply-adds (batch-1 predict) stays on tfjs's kernel", () => {
    const a = seeded([1, 784], 1);
    const w = seeded([784, 512], 2);
    const x = seeded([1, 28, 28, 1], 3);
    const f = seeded([3, 3, 1, 32], 4);
    const { gemm, im2col } = pool.jobsRun;
    pool.minWork = 2 ** 21;
    try {
      tf.dispose([tf.matMul(a, w), tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')]);
      expect(pool.jobsRun.gemm).toBe(gemm);
      expect(pool.jobsRun.im2col).toBe(im2col);
      // 128 rows: 51 million multiply-adds.
      tf.dispose(tf.matMul(tf.tile(a, [128, 1]), w));
      expect(pool.jobsRun.gemm).toBe(gemm + 1);
    } finally {
      pool.minWork = 0;
      tf.dispose([a, w, x, f]);
    }
  });

  it('an SGD-trained MLP gives the losses of cpu within 1e-4 and of 1 thread exactly, with no tensors left', async () => {
    const before = tf.memory().numTensors;
    const two = trainSteps(mlp, 4);
    expect(tf.memory().numTensors).toBe(before);
    setActiveThreadPool(one);
    const single = trainSteps(mlp, 4);
    setActiveThreadPool(pool);
    await setBackend('cpu');
    const cpu = trainSteps(mlp, 4);
    await setBackend('wasm');
    expect(two[4]).toBeLessThan(two[0]);
    expect(single).toEqual(two);
    for (let s = 0; s < 5; s++) expect(Math.abs(two[s] - cpu[s]), `step ${s}`).toBeLessThan(1e-4);
  });

  it('a worker that traps fails the op with a clear error (no hang), and the pool then refuses work', async () => {
    const broken = await ThreadPool.create(2);
    try {
      // A batched product whose second batch lies past the end of memory: whichever thread claims it traps.
      const at = broken.place(16);
      const job = {
        a: at,
        b: at,
        out: at,
        m: 1,
        n: 1,
        k: 1,
        strideA: 1 << 29,
        strideB: 0,
        strideOut: 0,
        rowTiles: 1,
        colTiles: 1,
      };
      expect(() => broken.run(JobKind.gemm, 2, job)).toThrow(
        /^Strata's wasm threads failed: (thread 1|the calling thread) threw RuntimeError: memory access out of bounds/,
      );
      expect(() => broken.run(JobKind.gemm, 1, { ...job, strideA: 0 })).toThrow(
        /^Strata's wasm threads cannot run: .*Remove the wasm backend \(tf\.removeBackend\('wasm'\)\) and select it again\.$/,
      );
    } finally {
      broken.dispose();
    }
  });

  it('a stopped worker fails the next op with the reason, leaving no tensors', async () => {
    const stopping = await ThreadPool.create(2);
    stopping.minWork = 0;
    setActiveThreadPool(stopping);
    const a = seeded([40, 30], 1);
    const b = seeded([30, 20], 2);
    try {
      const before = tf.memory().numTensors;
      await stopping.workerHandles()[0].terminate();
      for (let i = 0; i < 50 && stopping.workerHandles()[0].stopped == null; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(() => tf.matMul(a, b)).toThrow(RuntimeError);
      expect(() => tf.matMul(a, b)).toThrow(
        "Strata's wasm threads cannot run: a worker is gone: thread 1 stopped, it exited with code 1. Remove the wasm backend (tf.removeBackend('wasm')) and select it again.",
      );
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      setActiveThreadPool(pool);
      stopping.dispose();
      tf.dispose([a, b]);
    }
  });

  it('removing the backend stops its workers and leaves no pool for the kernels', async () => {
    const handles = [...pool.workerHandles()];
    tf.removeBackend('wasm');
    expect(activeThreadPool()).toBeNull();
    expect(pool.workerHandles()).toHaveLength(0);
    for (let i = 0; i < 100 && handles.some((h) => h.stopped == null); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(handles.map((h) => h.stopped)).toEqual(['it exited with code 1']);
    expect(() => pool.run(JobKind.gemm, 1, {})).toThrow(
      "Strata's wasm threads cannot run: the pool was disposed (its backend was removed).",
    );
  });

  it('a script exits by itself after fit on 2 threads', () => {
    const script = join(here, 'child', 'fit-wasm-threads.ts');
    const out = execFileSync(process.execPath, ['--conditions=strata-source', '--import', 'tsx', script], {
      cwd: join(here, '..'),
      encoding: 'utf8',
      timeout: 100_000,
    });
    const { loss, threads } = JSON.parse(out.trim().split('\n').pop() as string);
    expect(threads).toBe(2);
    expect(loss).toHaveLength(2);
    expect(loss[1]).toBeLessThan(loss[0]);
  });
});
