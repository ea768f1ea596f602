/**
 * Serving an exported model (issue 22): onnxruntime-node's batch-1 latency and batch-1024 throughput on
 * the bench's MLP and CNN, next to Strata's `predict` on the same weights (wasm, its fastest CPU backend,
 * and cpu). `tsx --conditions=strata-source src/onnx-serving.ts` writes bench/onnx-results.json.
 * Same method as the Predict table (src/case.ts): latency to a host value, median of 200 calls after 50
 * warm-up calls; throughput from the median of 5 batch-1024 calls after one warm-up. ONNX Runtime runs
 * with interOpNumThreads 1 and intraOpNumThreads 1 and 2 (the machine has 2 CPUs); every ORT output is
 * checked against Strata's predict (1e-5) before timing.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

import { toOnnx } from '@strata/onnx';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';

import { useBackend } from './backend.js';
import { buildStrata } from './models.js';

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];

async function timeIt(n: number, warm: number, f: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n + warm; i++) {
    const t0 = performance.now();
    await f();
    if (i >= warm) times.push(performance.now() - t0);
  }
  return median(times);
}

interface Row {
  model: string;
  runtime: string;
  threads: string;
  batch1Ms: number;
  batch1024SamplesPerSec: number;
}

const loadAverageAtStart = os.loadavg()[0];
const rows: Row[] = [];
for (const backend of ['wasm', 'cpu'] as const) {
  await useBackend('strata', backend);
  for (const kind of ['mlp', 'cnn'] as const) {
    tf.randomUniform([1]).dispose();
    const model = buildStrata(kind);
    const sample = kind === 'mlp' ? [28, 28] : [28, 28, 1];
    const one = tf.randomUniform([1, ...sample], 0, 1, 'float32', 1);
    const big = tf.randomUniform([1024, ...sample], 0, 1, 'float32', 2);
    const predict = async (x: tf.Tensor, batchSize: number) => {
      const p = model.predict(x, { batchSize }) as tf.Tensor;
      await p.data();
      p.dispose();
    };
    const strata1 = await timeIt(200, 50, () => predict(one, 1));
    const strataBig = await timeIt(5, 1, () => predict(big, 1024));
    // tfjs-backend-wasm picks its own thread count (1 where WebAssembly threads are unavailable); the cpu
    // backend is single-threaded JavaScript.
    const threads =
      backend === 'wasm'
        ? `${(await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount()} thread(s)`
        : '1 thread';
    rows.push({
      model: kind,
      runtime: `Strata predict (${backend})`,
      threads,
      batch1Ms: strata1,
      batch1024SamplesPerSec: (1024 / strataBig) * 1000,
    });
    if (backend !== 'wasm') continue;
    const bytes = toOnnx(model);
    for (const intra of [1, 2]) {
      const session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: intra,
        interOpNumThreads: 1,
      });
      const feed = (x: tf.Tensor) => ({
        [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.dataSync()), x.shape),
      });
      const feedOne = feed(one);
      const feedBig = feed(big);
      const check = (await session.run(feedBig))[session.outputNames[0]].data as Float32Array;
      const predicted = model.predict(big, { batchSize: 1024 }) as tf.Tensor;
      const want = Array.from(predicted.dataSync());
      predicted.dispose();
      const worst = want.reduce((m: number, v: number, i: number) => Math.max(m, Math.abs(v - check[i])), 0);
      if (!(worst <= 1e-5)) throw new Error(`${kind}: ONNX Runtime differs from predict by ${worst}`);
      const ort1 = await timeIt(200, 50, async () => {
        await session.run(feedOne);
      });
      const ortBig = await timeIt(5, 1, async () => {
        await session.run(feedBig);
      });
      rows.push({
        model: kind,
        runtime: 'onnxruntime-node',
        threads: `intraOp ${intra}, interOp 1`,
        batch1Ms: ort1,
        batch1024SamplesPerSec: (1024 / ortBig) * 1000,
      });
      await session.release();
    }
    tf.dispose([one, big]);
    model.dispose?.();
  }
}

const result = {
  measuredAt: new Date().toISOString(),
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  node: process.version,
  loadAverageAtStart,
  loadAverageAtEnd: os.loadavg()[0],
  onnxruntimeNode: (await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default
    .version,
  rows,
};
fs.writeFileSync(new URL('../onnx-results.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log('| model | runtime | threads | batch 1 (ms) | batch 1024 (samples/s) |');
console.log('|---|---|---|---:|---:|');
for (const r of rows)
  console.log(
    `| ${r.model.toUpperCase()} | ${r.runtime} | ${r.threads} | ${r.batch1Ms.toFixed(3)} | ${Math.round(r.batch1024SamplesPerSec).toLocaleString('en-US')} |`,
  );
console.log(
  `load average ${loadAverageAtStart.toFixed(1)} at start, ${result.loadAverageAtEnd.toFixed(1)} at end, ${result.cpus} CPUs (${result.cpuModel})`,
);
