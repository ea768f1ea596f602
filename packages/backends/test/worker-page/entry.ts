/**
 * The page half of worker-browser.test.ts, bundled by esbuild: starts a real dedicated module Worker
 * (worker.ts, served as /worker.js) that runs serveModel, drives it with a WorkerModel on a chosen
 * backend, and runs the same fits on the page's cpu backend from the same initial weights.
 */
import '@strata/layers';
import '@strata/optimizers';
import '@strata/losses-metrics';
import '@strata/backends/cpu';
import { type BackendName, type HostArray, setBackend, WorkerModel } from '@strata/backends';
import { Callback, type Logs, type Model, Sequential } from '@strata/core';
import { seededValues } from '@strata/core/testing';
import { loadModel } from '@strata/io';
import { Conv2D, Dense, Flatten, GlorotUniform, InputLayer } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';

import { probeWebGPU } from '../../src/builtin-backends.js';

/** Rows per fit: three batches of 8. */
const ROWS = 24;
const BATCH = 8;
const CLASSES = 3;

interface Spec {
  name: string;
  inputShape: number[];
  build(): Sequential;
}

const specs: Spec[] = [
  {
    name: 'Dense',
    inputShape: [6],
    build: () =>
      new Sequential({
        name: 'dense',
        layers: [
          new InputLayer({ shape: [6] }),
          new Dense({ units: 8, activation: 'relu', kernelInitializer: new GlorotUniform({ seed: 1 }) }),
          new Dense({
            units: CLASSES,
            activation: 'softmax',
            kernelInitializer: new GlorotUniform({ seed: 2 }),
          }),
        ],
      }),
  },
  {
    name: 'Conv2D',
    inputShape: [6, 6, 2],
    build: () =>
      new Sequential({
        name: 'conv',
        layers: [
          new InputLayer({ shape: [6, 6, 2] }),
          new Conv2D({
            filters: 4,
            kernelSize: 3,
            activation: 'relu',
            kernelInitializer: new GlorotUniform({ seed: 3 }),
          }),
          new Flatten(),
          new Dense({
            units: CLASSES,
            activation: 'softmax',
            kernelInitializer: new GlorotUniform({ seed: 4 }),
          }),
        ],
      }),
  },
];

export interface CaseResult {
  name: string;
  /** The worker's backend after setBackend. */
  backend: string;
  /** Each batch's logged loss over two fits of 3 batches: in the worker, and on the page on cpu. */
  worker: number[];
  page: number[];
  /** The worker's tensor count after the first fit and after the second. */
  counts: [number, number];
  /** The worst difference between the worker's predict and the page's cpu predict of the worker's saved model. */
  predictDiff: number;
  /** The number of values the worker's predict returned, and its shape. */
  predictShape: number[];
  /** Whether the arrays sent to the worker were transferred (detached here). */
  transferred: boolean;
}

/** Fixed inputs and sparse labels, fresh arrays on every call (fit transfers them away). */
function data(spec: Spec, seed: number): { x: HostArray; y: HostArray } {
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from(seededValues(ROWS * size, seed));
  const y = Int32Array.from({ length: ROWS }, (_, i) => (i * 7 + seed) % CLASSES);
  return { x: { data: x, shape: [ROWS, ...spec.inputShape] }, y: { data: y, shape: [ROWS] } };
}

async function kerasBytes(model: Model): Promise<Uint8Array> {
  let bytes: Uint8Array | null = null;
  await model.save({
    async write(files: { name: string; data: Uint8Array }[]) {
      bytes = files[0].data;
    },
  });
  return bytes!;
}

/** Records each training batch's logged loss. */
class BatchLosses extends Callback {
  constructor(private readonly losses: number[]) {
    super();
  }

  override onTrainBatchEnd(_batch: number, logs?: Logs): void {
    this.losses.push(Number(logs?.loss));
  }
}

/** Fits `model` on the page once (3 batches, no shuffle) and returns each batch's logged loss. */
async function pageFit(model: Model, spec: Spec, seed: number): Promise<number[]> {
  const { x, y } = data(spec, seed);
  const losses: number[] = [];
  const xt = tf.tensor(x.data, x.shape);
  const yt = tf.tensor(y.data, y.shape, 'int32');
  try {
    await model.fit(xt, yt, {
      batchSize: BATCH,
      shuffle: false,
      verbose: 0,
      callbacks: [new BatchLosses(losses)],
    });
  } finally {
    tf.dispose([xt, yt]);
  }
  return losses;
}

async function runCase(spec: Spec, backend: BackendName): Promise<CaseResult> {
  await setBackend('cpu');
  const page = spec.build();
  page.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const initial = await kerasBytes(page);

  const remote = new WorkerModel(new Worker('/worker.js', { type: 'module' }));
  try {
    const active = await remote.setBackend(backend);
    await remote.load(initial.slice());
    const worker: number[] = [];
    const counts: number[] = [];
    let transferred = true;
    for (const seed of [1, 2]) {
      const { x, y } = data(spec, seed);
      await remote.fit(x, y, {
        batchSize: BATCH,
        shuffle: false,
        onBatchEnd: (_batch, logs) => worker.push(logs.loss),
      });
      transferred &&= x.data.byteLength === 0 && y.data.byteLength === 0;
      counts.push((await remote.memory()).numTensors);
    }
    const pageLosses = [...(await pageFit(page, spec, 1)), ...(await pageFit(page, spec, 2))];

    const probe = data(spec, 3).x;
    const [predicted] = await remote.predict({ data: probe.data.slice(), shape: probe.shape });
    const trained = await loadModel(await remote.save());
    const xt = tf.tensor(probe.data, probe.shape);
    const expected = trained.predict(xt, { verbose: 0 }) as tf.Tensor;
    const values = await expected.data();
    let predictDiff = predicted.data.length === values.length ? 0 : Number.POSITIVE_INFINITY;
    for (let i = 0; i < values.length; i++)
      predictDiff = Math.max(predictDiff, Math.abs(values[i] - predicted.data[i]));
    tf.dispose([xt, expected]);
    trained.dispose();
    page.dispose();
    return {
      name: spec.name,
      backend: active,
      worker,
      page: pageLosses,
      counts: counts as [number, number],
      predictDiff,
      predictShape: [...predicted.shape],
      transferred,
    };
  } finally {
    remote.terminate();
  }
}

async function runChecks(backend: BackendName): Promise<CaseResult[]> {
  const cases: CaseResult[] = [];
  for (const spec of specs) cases.push(await runCase(spec, backend));
  return cases;
}

Object.assign(globalThis, { runChecks, probeAdapter: probeWebGPU });
