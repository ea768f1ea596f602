/**
 * `pnpm --filter @strata/bench wasm-threads-node` (issue 20, route 2 in Node): Strata's threaded wasm
 * kernels on `worker_threads`, 1 thread vs 2.
 * 1. GEMM ceiling: the MLP's three products alone (forward, weight gradient `xᵀ·dy`, input gradient
 *    `dy·wᵀ`), through tfjs's kernel API, on tfjs-backend-wasm's XNNPACK (1 thread: its only build in Node)
 *    and on Strata's kernels with 1 and 2 threads, rounds alternating; the copies in and out of the pool's
 *    memory are timed on their own too.
 * 2. Training: `case.ts` (the `pnpm bench` runner) with BENCH_WASM_THREADS=1 and 2, alternating, each in a
 *    fresh process: median samples/s per thread count.
 * Writes bench/wasm-threads-node-results.json. BENCH_ROUNDS (default 3) sets the rounds, BENCH_ONLY=mlp|cnn
 * the models, BENCH_WASM_MLP_SAMPLES / BENCH_WASM_CNN_SAMPLES the digits per epoch (12,000 and 2,048).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import type { CaseSpec } from './case.js';
import type { ModelKind } from './data.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..');
const cache = join(benchDir, '.cache');
const tsx = join(benchDir, '..', 'node_modules', '.bin', 'tsx');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const models = (process.env.BENCH_ONLY ?? 'mlp,cnn').split(',') as ModelKind[];
const SAMPLES: Record<ModelKind, number> = {
  mlp: Number(process.env.BENCH_WASM_MLP_SAMPLES ?? 12000),
  cnn: Number(process.env.BENCH_WASM_CNN_SAMPLES ?? 2048),
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () => Number(loadavg()[0].toFixed(2));

/** Milliseconds per call of `f`, the median of `reps` calls after one warm-up. */
function timeMs(f: () => void, reps = 15): number {
  f();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

async function gemmCeiling() {
  const { setWasmThreads } = await import('@strata/backends/wasm');
  const { setBackend } = await import('@strata/backends');
  const { activeThreadPool, setActiveThreadPool } = await import(
    '../../packages/backends/src/kernels/wasm/threaded/kernels.js'
  );
  const { ThreadPool } = await import('../../packages/backends/src/kernels/wasm/threaded/pool.js');
  setWasmThreads(2);
  await setBackend('wasm');
  const two = activeThreadPool();
  if (two === null) throw new Error('setWasmThreads(2) gave the wasm backend no thread pool');
  const one = await ThreadPool.create(1);
  const configs = [
    ['XNNPACK, 1 thread', null],
    ['Strata, 1 thread', one],
    ['Strata, 2 threads', two],
  ] as const;
  const shapes = [
    { name: 'forward 128×784·784×512', a: [128, 784], b: [784, 512], tA: false, tB: false },
    { name: 'weight gradient xᵀ·dy (128×784)ᵀ·128×512', a: [128, 784], b: [128, 512], tA: true, tB: false },
    { name: 'input gradient dy·wᵀ 128×512·(784×512)ᵀ', a: [128, 512], b: [784, 512], tA: false, tB: true },
  ];
  const rows = [];
  for (const s of shapes) {
    const a = tf.randomNormal(s.a);
    const b = tf.randomNormal(s.b);
    const m = s.tA ? s.a[1] : s.a[0];
    const k = s.tA ? s.a[0] : s.a[1];
    const n = s.tB ? s.b[0] : s.b[1];
    const ms: Record<string, number[]> = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, pool] of configs) {
        setActiveThreadPool(pool);
        (ms[name] ??= []).push(timeMs(() => tf.matMul(a, b, s.tA, s.tB).dispose()));
      }
    }
    setActiveThreadPool(two);
    // The copies alone: both operands into the pool's memory and the result back out.
    const heap = tf.engine().backend as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    const out = tf.zeros([m, n]);
    const copyMs = timeMs(() => {
      two.resetArena();
      two.place(heap.typedArrayFromHeap(a));
      two.place(heap.typedArrayFromHeap(b));
      const at = two.place(m * n);
      two.read(at, heap.typedArrayFromHeap(out));
    });
    const row: Record<string, unknown> = {
      shape: s.name,
      m,
      k,
      n,
      copyMs: Number(copyMs.toFixed(3)),
      loadAverage: load(),
    };
    for (const [name] of configs) {
      const t = median(ms[name]);
      row[name] = { ms: Number(t.toFixed(3)), gflops: Number(((2 * m * n * k) / t / 1e6).toFixed(1)) };
    }
    console.log(JSON.stringify(row));
    rows.push(row);
    tf.dispose([a, b, out]);
  }
  one.dispose();
  return rows;
}

function runCase(spec: Omit<CaseSpec, 'out' | 'weights'>, label: string, threads?: number) {
  mkdirSync(cache, { recursive: true });
  const out = join(cache, `${label}.json`);
  const full: CaseSpec = { ...spec, out, weights: join(cache, `weights-${spec.model}`) };
  rmSync(out, { force: true });
  const env = { ...process.env, ...(threads ? { BENCH_WASM_THREADS: String(threads) } : {}) };
  spawnSync(tsx, ['--conditions=strata-source', join(here, 'case.ts'), JSON.stringify(full)], {
    cwd: benchDir,
    env,
    encoding: 'utf8',
    timeout: 900_000,
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}

function training() {
  const rows = [];
  for (const model of models) {
    const base = { model, samples: SAMPLES[model], batchSize: 128, checkSamples: 2000, progbarPairs: 0 };
    runCase({ ...base, kind: 'init', lib: 'strata', backend: 'cpu', epochs: 0 }, `init-${model}`);
    const runs: Record<number, Array<{ samplesPerSec: number; loadAverage: number; loss: number }>> = {
      1: [],
      2: [],
    };
    for (let r = 0; r < ROUNDS; r++) {
      for (const threads of r % 2 ? [2, 1] : [1, 2]) {
        const res = runCase(
          { ...base, kind: 'train', lib: 'strata', backend: 'wasm', epochs: 2 },
          `strata-${model}-wasm-t${threads}`,
          threads,
        );
        if (res.error || res.trainError) throw new Error(res.error ?? res.trainError);
        const run = {
          samplesPerSec: Math.round(res.samplesPerSec),
          loadAverage: load(),
          loss: res.check.trainLoss,
        };
        console.log(model, `${threads} thread(s)`, JSON.stringify(run));
        runs[threads].push(run);
      }
    }
    const med = (t: number) => median(runs[t].map((x) => x.samplesPerSec));
    rows.push({
      model,
      samples: SAMPLES[model],
      runs,
      median1: med(1),
      median2: med(2),
      speedup: Number((med(2) / med(1)).toFixed(2)),
    });
  }
  return rows;
}

const startLoad = load();
const gemm = models.includes('mlp') ? await gemmCeiling() : [];
const train = training();
const results = {
  measuredAt: new Date().toISOString(),
  cpus: cpus().length,
  loadAverageAtStart: startLoad,
  loadAverageAtEnd: load(),
  gemm,
  training: train,
};
writeFileSync(join(benchDir, 'wasm-threads-node-results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(train.map(({ runs, ...r }) => r)));
