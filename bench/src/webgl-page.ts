/**
 * The browser side of `pnpm --filter @strata/bench webgl` (bundled by webgl.ts): one library trains one
 * model on WebGL in this page, mirroring case.ts's `train` kind, and returns its measurements.
 */
import { removeKernelFixes, setBackend } from '@strata/backends';
import '@strata/backends/webgl';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type { ModelKind } from './data.js';
import { buildStrata, buildTfl } from './models.js';

export interface PageSpec {
  lib: 'strata' | 'tfjs-layers';
  model: ModelKind;
  samples: number;
  testSamples: number;
  batchSize: number;
  /** Shuffled epochs timed after the (timed, unshuffled) check epoch. */
  epochs: number;
}

interface Net {
  fit(x: tf.Tensor, y: tf.Tensor, shuffle: boolean): Promise<number>;
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
      fit: async (x, y, shuffle) =>
        (await m.fit(x, y, { batchSize, epochs: 1, verbose: 0, shuffle })).history.loss[0] as number,
      predict: (x, b) => m.predict(x, { batchSize: b }) as tf.Tensor,
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

async function runCase(spec: PageSpec): Promise<Record<string, unknown>> {
  if (spec.lib === 'strata') await setBackend('webgl');
  else {
    // The page bundles @strata/backends/webgl, whose import installs Strata's kernels; tfjs-layers' users
    // get tfjs-backend-webgl's own, so take Strata's out first.
    removeKernelFixes('webgl');
    await tf.setBackend('webgl');
  }
  await tf.ready();
  if (tf.getBackend() !== 'webgl') throw new Error(`wanted webgl, got ${tf.getBackend()}`);
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
  const result: Record<string, unknown> = { ...spec, backend: 'webgl' };

  // Warm-up on a throw-away model: shader compilation.
  {
    const warm = makeNet(spec);
    const xs = tf.slice(x, 0, spec.batchSize * 3);
    const ys = tf.slice(y, 0, spec.batchSize * 3);
    await warm.fit(xs, ys, true);
    tf.dispose([xs, ys, ...warm.getWeights()]);
  }

  const net = makeNet(spec);
  let at = 0;
  const init = meta.shapes.map((s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const t = tf.tensor(all.subarray(at, at + n), s);
    at += n;
    return t;
  });
  net.setWeights(init);
  tf.dispose(init);

  const epochMs: number[] = [];
  const tensorsAfterEpoch: number[] = [];
  let t0 = performance.now();
  const trainLoss = await net.fit(x, y, false);
  epochMs.push(performance.now() - t0);
  tensorsAfterEpoch.push(tf.memory().numTensors);
  const probs = (await net.predict(xTest, 256).data()) as Float32Array;
  let loss = 0;
  let hits = 0;
  for (let i = 0; i < testLabels.length; i++) {
    const row = probs.subarray(i * 10, i * 10 + 10);
    loss -= Math.log(Math.max(row[testLabels[i]], 1e-7));
    let best = 0;
    for (let k = 1; k < 10; k++) if (row[k] > row[best]) best = k;
    if (best === testLabels[i]) hits++;
  }
  result.check = { trainLoss, testLoss: loss / testLabels.length, testAccuracy: hits / testLabels.length };
  for (let e = 0; e < spec.epochs; e++) {
    t0 = performance.now();
    await net.fit(x, y, true);
    epochMs.push(performance.now() - t0);
    tensorsAfterEpoch.push(tf.memory().numTensors);
  }
  result.epochMs = epochMs;
  result.samplesPerSec = (spec.samples / median(epochMs)) * 1000;
  result.tensorsAfterEpoch = tensorsAfterEpoch;

  const one = tf.slice(xTest, 0, 1);
  const lat: number[] = [];
  for (let i = 0; i < 60; i++) {
    t0 = performance.now();
    const p = net.predict(one, 1);
    await p.data();
    p.dispose();
    if (i >= 10) lat.push(performance.now() - t0);
  }
  one.dispose();
  result.predictBatch1Ms = median(lat);
  const big = tf.slice(xTest, 0, Math.min(1024, spec.testSamples));
  const bulk: number[] = [];
  for (let i = 0; i < 6; i++) {
    t0 = performance.now();
    const p = net.predict(big, 1024);
    await p.data();
    p.dispose();
    if (i >= 1) bulk.push(performance.now() - t0);
  }
  result.predictBatch1024PerSec = (big.shape[0] / median(bulk)) * 1000;
  big.dispose();
  tf.dispose([x, y, xTest]);
  return result;
}

Object.assign(globalThis, { runCase });
