/**
 * The browser side of `pnpm --filter @strata/bench webgl`, `webgpu` and `wasm-threads` (bundled by
 * browser-bench.ts): one library trains one model on WebGL, WebGPU or WebAssembly in this page, mirroring
 * case.ts's `train` kind, and returns its measurements.
 */
import { removeKernelFixes, setBackend } from '@strata/backends';
import { setWasmThreads } from '@strata/backends/wasm';
import { Callback, StrataAdamUpdate } from '@strata/core';
import '@strata/backends/webgl';
import '@strata/backends/webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type { ModelKind } from './data.js';
import { buildStrata, buildTfl } from './models.js';
import { score, unpackWeights } from './weights-and-score.js';

export interface PageSpec {
  lib: 'strata' | 'tfjs-layers';
  backend: 'webgl' | 'webgpu' | 'wasm';
  /** wasm only: the thread count (`setWasmThreads`); the page must be cross-origin isolated for more than 1. */
  threads?: number;
  model: ModelKind;
  samples: number;
  testSamples: number;
  batchSize: number;
  /** Shuffled epochs timed after the (timed, unshuffled) check epoch. */
  epochs: number;
  /** When set, also profiles this many training steps (tf.profile): the time per kernel and shapes. */
  profileSteps?: number;
}

/** Per kernel name and input shapes, milliseconds and calls per step, largest first. */
export type StepProfile = {
  wallMsPerStep: number;
  kernelMsPerStep: number;
  rows: Array<{ kernel: string; msPerStep: number; callsPerStep: number }>;
};

/** Profiles `steps` training steps of `net` on the first `steps` batches of `x`, `y`. */
async function profileSteps(net: Net, x: tf.Tensor, y: tf.Tensor, batchSize: number, steps: number) {
  const xs = tf.slice(x, 0, batchSize * steps);
  const ys = tf.slice(y, 0, batchSize * steps);
  const t0 = performance.now();
  const info = await tf.profile(() => net.fit(xs, ys, false));
  const wall = performance.now() - t0;
  tf.dispose([xs, ys]);
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(',')}`;
    const e = by.get(key) ?? { ms: 0, n: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.n++;
    by.set(key, e);
  }
  const rows = [...by.entries()]
    .map(([kernel, v]) => ({ kernel, msPerStep: v.ms / steps, callsPerStep: v.n / steps }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
  const kernelMsPerStep = rows.reduce((a, r) => a + r.msPerStep, 0);
  return { wallMsPerStep: wall / steps, kernelMsPerStep, rows: rows.slice(0, 40) };
}

interface Net {
  /** One epoch; `onStepEnd` (Strata only) is called after every training step. */
  fit(x: tf.Tensor, y: tf.Tensor, shuffle: boolean, onStepEnd?: () => void): Promise<number>;
  predict(x: tf.Tensor, batchSize: number): tf.Tensor;
  setWeights(ws: tf.Tensor[]): void;
  getWeights(): tf.Tensor[];
  labels(y: Int32Array): tf.Tensor;
}

function makeNet(spec: PageSpec): Net {
  const batchSize = spec.batchSize;
  if (spec.lib === 'strata') {
    const m = buildStrata(spec.model);
    return {
      fit: async (x, y, shuffle, onStepEnd) => {
        const callbacks = onStepEnd ? [Object.assign(new Callback(), { onTrainBatchEnd: onStepEnd })] : [];
        const history = await m.fit(x, y, { batchSize, epochs: 1, verbose: 0, shuffle, callbacks });
        return history.history.loss[0] as number;
      },
      predict: (x, b) => m.predict(x, { batchSize: b }),
      setWeights: (ws) => m.setWeights(ws),
      getWeights: () => m.getWeights(),
      labels: (y) => tf.tensor1d(y, 'int32'),
    };
  }
  const m = buildTfl(tfl, spec.model);
  return {
    fit: async (x, y, shuffle) =>
      (await m.fit(x, y, { batchSize, epochs: 1, verbose: 0, shuffle })).history.loss[0] as number,
    predict: (x, b) => m.predict(x, { batchSize: b }) as tf.Tensor,
    setWeights: (ws) => m.setWeights(ws),
    getWeights: () => m.getWeights(),
    labels: (y) => tf.tensor2d(Float32Array.from(y), [y.length, 1]),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

/**
 * Median milliseconds of the two largest products of the models' steps on the active backend, the MLP's
 * first Dense (128×784 · 784×512) and the CNN's second convolution (128×13×13×32, 3×3×32→64), and of
 * Adam's update of that Dense's weight (`StrataAdamUpdate`, 784×512).
 */
function timeKernels(): { gemm: number; conv: number; adam: number } {
  const time = (f: () => tf.Tensor) => {
    const times: number[] = [];
    for (let i = 0; i < 23; i++) {
      const start = performance.now();
      const out = f();
      out.dataSync();
      out.dispose();
      if (i >= 3) times.push(performance.now() - start);
    }
    return median(times);
  };
  return tf.tidy(() => {
    const a = tf.randomNormal([128, 784]);
    const b = tf.randomNormal([784, 512]);
    const x = tf.randomNormal([128, 13, 13, 32]) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 32, 64]) as tf.Tensor4D;
    const [w, g, m] = [0, 1, 2].map(() => tf.randomNormal([784, 512]));
    const v = tf.abs(tf.randomNormal([784, 512]));
    const adam = () => {
      const attrs = { alpha: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
      const outs = tf.engine().runKernel(StrataAdamUpdate, { variable: w, gradient: g, m, v }, attrs);
      const [first, ...rest] = outs as tf.Tensor[];
      tf.dispose(rest);
      return first;
    };
    return {
      gemm: time(() => tf.matMul(a, b)),
      conv: time(() => tf.conv2d(x, f, 1, 'valid')),
      adam: time(adam),
    };
  });
}

async function runCase(spec: PageSpec): Promise<Record<string, unknown>> {
  if (spec.backend === 'wasm') {
    // wasm-threads.ts serves tfjs-backend-wasm's .wasm files here; each case runs in a fresh page.
    setWasmPaths('/wasm/');
    setWasmThreads(spec.threads ?? 'auto');
  }
  if (spec.lib === 'strata') await setBackend(spec.backend);
  else {
    // The page bundles @strata/backends/webgl and /webgpu, whose imports install Strata's kernels;
    // tfjs-layers' users get the tfjs backend's own, so take Strata's out first.
    removeKernelFixes(spec.backend);
    await tf.setBackend(spec.backend);
  }
  await tf.ready();
  if (tf.getBackend() !== spec.backend) throw new Error(`wanted ${spec.backend}, got ${tf.getBackend()}`);
  const shape = spec.model === 'mlp' ? [28, 28] : [28, 28, 1];
  const px = 28 * 28;
  const data = await fetchBytes('/data.bin');
  const trainImages = new Float32Array(data, 0, spec.samples * px);
  const trainLabels = new Int32Array(data, spec.samples * px * 4, spec.samples);
  const testImages = new Float32Array(data, spec.samples * (px + 1) * 4, spec.testSamples * px);
  const testLabels = new Int32Array(
    data,
    (spec.samples * (px + 1) + spec.testSamples * px) * 4,
    spec.testSamples,
  );
  const meta = (await (await fetch(`/weights-${spec.model}.json`)).json()) as { shapes: number[][] };
  const all = new Float32Array(await fetchBytes(`/weights-${spec.model}.bin`));

  const x = tf.tensor(trainImages, [spec.samples, ...shape]);
  const xTest = tf.tensor(testImages, [spec.testSamples, ...shape]);
  const y = makeNet(spec).labels(trainLabels);
  const result: Record<string, unknown> = { ...spec };
  if (spec.backend === 'wasm') result.threadsUsed = getThreadsCount();

  // Warm-up on a throw-away model: shader compilation.
  {
    const warm = makeNet(spec);
    const xs = tf.slice(x, 0, spec.batchSize * 3);
    const ys = tf.slice(y, 0, spec.batchSize * 3);
    await warm.fit(xs, ys, true);
    tf.dispose([xs, ys, ...warm.getWeights()]);
  }

  const net = makeNet(spec);
  const init = unpackWeights(meta.shapes, all);
  net.setWeights(init);
  tf.dispose(init);

  const epochMs: number[] = [];
  const tensorsAfterEpoch: number[] = [];
  let t0 = performance.now();
  const trainLoss = await net.fit(x, y, false);
  epochMs.push(performance.now() - t0);
  tensorsAfterEpoch.push(tf.memory().numTensors);
  const predicted = net.predict(xTest, 256);
  const check = score((await predicted.data()) as Float32Array, testLabels);
  predicted.dispose();
  result.check = { trainLoss, testLoss: check.loss, testAccuracy: check.accuracy };
  // Each step's time (Strata), past each epoch's first: on a loaded machine the fastest tenth shows what
  // the threads give when the scheduler runs them, where the epochs' median mostly shows the load.
  const stepMs: number[] = [];
  for (let e = 0; e < spec.epochs; e++) {
    t0 = performance.now();
    let last = t0;
    let step = 0;
    await net.fit(x, y, true, () => {
      const now = performance.now();
      if (step++ > 0) stepMs.push(now - last);
      last = now;
    });
    epochMs.push(performance.now() - t0);
    tensorsAfterEpoch.push(tf.memory().numTensors);
  }
  result.epochMs = epochMs;
  if (stepMs.length > 0) {
    const sorted = [...stepMs].sort((a, b) => a - b);
    result.stepMs = {
      p10: sorted[Math.floor(sorted.length / 10)],
      median: median(stepMs),
      count: stepMs.length,
    };
  }
  result.samplesPerSec = (spec.samples / median(epochMs)) * 1000;
  result.tensorsAfterEpoch = tensorsAfterEpoch;

  // Median time of `calls` predictions of `rows` test digits, read back to the host, after `warmUp`.
  const timePredict = async (rows: number, calls: number, warmUp: number) => {
    const x = tf.slice(xTest, 0, rows);
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const start = performance.now();
      const p = net.predict(x, rows);
      await p.data();
      p.dispose();
      if (i >= warmUp) times.push(performance.now() - start);
    }
    x.dispose();
    return median(times);
  };
  if (spec.backend === 'wasm') result.kernelMs = timeKernels();
  if (spec.profileSteps) result.profile = await profileSteps(net, x, y, spec.batchSize, spec.profileSteps);
  result.predictBatch1Ms = await timePredict(1, 60, 10);
  const bulkRows = Math.min(1024, spec.testSamples);
  result.predictBatch1024PerSec = (bulkRows / (await timePredict(bulkRows, 6, 1))) * 1000;
  tf.dispose([x, y, xTest]);
  return result;
}

Object.assign(globalThis, { runCase });
