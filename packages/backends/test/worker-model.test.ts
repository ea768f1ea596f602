/**
 * WorkerModel and serveModel in Node: the page half (WorkerModel) and the worker half (serveModel) talk over a
 * MessageChannel, the same structured-clone-and-transfer channel a Web Worker uses. Both halves share one
 * tfjs engine here, so tf.memory() counts both. The browser tests run them in a real worker: on webgl in
 * apps/demo/test/web-demo.test.ts, on webgpu and wasm in worker-browser.test.ts.
 */
import { MessageChannel } from 'node:worker_threads';
import { Model, RuntimeError, Sequential, ValueError } from '@strata/core';
import { expectTensorsClose } from '@strata/core/testing';
import { loadModel } from '@strata/io';
import { Dense, GlorotUniform, InputLayer } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import '@strata/optimizers';
import '@strata/losses-metrics';

import type { WorkerEndpoint } from '../src/worker/worker-model.js';
import { type HostArray, serveModel, WorkerCrashedError, WorkerModel } from '../src/worker.js';

const N = 64;
const FEATURES = 4;
const CLASSES = 3;

/** A fixed data set: 64 rows of 4 features and a label from the features' pattern. */
function data(): { x: HostArray; y: HostArray } {
  const x = new Float32Array(N * FEATURES);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < FEATURES; j++) x[i * FEATURES + j] = Math.sin(i * 1.7 + j * 0.9);
    y[i] = i % CLASSES;
  }
  return { x: { data: x, shape: [N, FEATURES] }, y: { data: y, shape: [N] } };
}

function mlp(): Sequential {
  const m = new Sequential({
    name: 'tiny',
    layers: [
      new InputLayer({ shape: [FEATURES] }),
      new Dense({
        units: 8,
        activation: 'relu',
        kernelInitializer: new GlorotUniform({ seed: 1 }),
      }),
      new Dense({
        units: CLASSES,
        activation: 'softmax',
        kernelInitializer: new GlorotUniform({ seed: 2 }),
      }),
    ],
  });
  m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

let remote: WorkerModel;
let channel: MessageChannel;

beforeEach(() => {
  channel = new MessageChannel();
  serveModel(channel.port2 as unknown as Parameters<typeof serveModel>[0]);
  remote = new WorkerModel(channel.port1 as unknown as WorkerEndpoint);
});

afterEach(() => {
  channel.port1.close();
  channel.port2.close();
});

describe('WorkerModel over a message channel', () => {
  it('fits like model.fit does on the page, streams batch and epoch logs, and transfers the arrays', async () => {
    const page = mlp();
    const info = await remote.load(page);
    expect(info).toMatchObject({
      name: 'tiny',
      compiled: true,
      inputShapes: [[null, FEATURES]],
      outputShapes: [[null, CLASSES]],
    });
    expect(info.summary.join('\n')).toContain('Trainable params: 67');

    const { x, y } = data();
    const batches: [number, number, number][] = [];
    const epochs: [number, string[]][] = [];
    let began: unknown;
    const history = await remote.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      shuffle: false,
      validationSplit: 0.25,
      onTrainBegin: (params) => (began = params),
      onBatchEnd: (batch, logs, epoch) => batches.push([epoch, batch, logs.loss]),
      onEpochEnd: (epoch, logs) => epochs.push([epoch, Object.keys(logs).sort()]),
    });
    // Transferred, not copied: the page's arrays are detached.
    expect(x.data.byteLength).toBe(0);
    expect(y.data.byteLength).toBe(0);
    // 48 training rows in batches of 16: three batches per epoch.
    expect(began).toEqual({ epochs: 2, steps: 3 });
    expect(batches.map(([e, b]) => [e, b])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect(epochs).toEqual([
      [0, ['accuracy', 'loss', 'val_accuracy', 'val_loss']],
      [1, ['accuracy', 'loss', 'val_accuracy', 'val_loss']],
    ]);
    expect(history.epoch).toEqual([0, 1]);

    // The same fit on the page gives the same history and the same predictions.
    const local = data();
    const xt = tf.tensor(local.x.data, [N, FEATURES]);
    const yt = tf.tensor(local.y.data, [N], 'int32');
    const pageHistory = await page.fit(xt, yt, {
      epochs: 2,
      batchSize: 16,
      shuffle: false,
      validationSplit: 0.25,
      verbose: 0,
    });
    for (const key of ['loss', 'val_loss', 'accuracy']) {
      expectTensorsClose(history.history[key], pageHistory.history[key], { atol: 1e-6 });
    }
    // The last batch's running loss is the epoch's loss (Keras's logs).
    expect(batches[5][2]).toBeCloseTo(history.history.loss[1], 6);
    const [probs] = await remote.predict({ data: local.x.data.slice(0, 2 * FEATURES), shape: [2, FEATURES] });
    expect(probs.shape).toEqual([2, CLASSES]);
    const expected = page.predict(tf.slice(xt, 0, 2), { verbose: 0 }) as tf.Tensor;
    expectTensorsClose(tf.tensor(probs.data, probs.shape), expected, { atol: 1e-6 });

    // A tensor argument is copied before the transfer: it stays readable here.
    const rows = tf.slice(xt, 0, 2);
    const [fromTensor] = await remote.predict(rows);
    expectTensorsClose(tf.tensor(fromTensor.data, fromTensor.shape), expected, { atol: 1e-6 });
    expectTensorsClose(rows, tf.tensor(local.x.data.slice(0, 2 * FEATURES), [2, FEATURES]));
    rows.dispose();

    const [loss, accuracy] = (await remote.evaluate(data().x, data().y, { batchSize: 32 })) as number[];
    const [pageLoss, pageAccuracy] = (await page.evaluate(xt, yt, { batchSize: 32, verbose: 0 })) as number[];
    expect(loss).toBeCloseTo(pageLoss, 6);
    expect(accuracy).toBeCloseTo(pageAccuracy, 6);
    tf.dispose([xt, yt, expected]);
    page.dispose();
  });

  it('stops within one batch, and predicts and saves between batches while fit runs', async () => {
    await remote.load(mlp());
    const { x, y } = data();
    let batchesAfterStop = 0;
    let stopped = false;
    let prediction: Promise<HostArray[]> | null = null;
    let saved: Promise<Uint8Array> | null = null;
    let predictedDuringFit = false;
    let total = 0;
    const history = await remote.fit(x, y, {
      epochs: 50,
      batchSize: 4,
      onBatchEnd: (batch) => {
        total++;
        if (stopped) batchesAfterStop++;
        if (total === 3) {
          // Queued in the worker, answered between two batches: both see the same weights.
          saved = remote.save();
          prediction = remote.predict({ data: new Float32Array([0.1, 0.2, 0.3, 0.4]), shape: [1, FEATURES] });
          prediction.then(() => (predictedDuringFit = !stopped));
        }
        if (batch === 7)
          void remote.stop().then((wasTraining) => {
            expect(wasTraining).toBe(true);
            stopped = true;
          });
      },
    });
    expect(predictedDuringFit).toBe(true);
    // No batch starts after the worker took the stop: Keras's check after each batch.
    expect(batchesAfterStop).toBe(0);
    expect(history.epoch).toEqual([0]);
    expect(total).toBeLessThan(16);

    // The bytes saved mid-fit load on the page and predict what the worker predicted in the same gap.
    const again = await loadModel(await saved!);
    const [probs] = await prediction!;
    const input = tf.tensor([[0.1, 0.2, 0.3, 0.4]]);
    const local = again.predict(input, { verbose: 0 }) as tf.Tensor;
    expectTensorsClose(tf.tensor(probs.data, probs.shape), local, { atol: 1e-6 });
    tf.dispose([input, local]);
    again.dispose();
    await expect(remote.stop()).resolves.toBe(false);
  });

  it('refuses a second fit or an evaluate while fit runs, and leaks no tensors on any path', async () => {
    await remote.load(mlp());
    const { x, y } = data();
    let refused: unknown = null;
    let refusedEvaluate: unknown = null;
    await remote.fit(x, y, {
      epochs: 1000,
      batchSize: 16,
      onBatchEnd: (batch, _logs, epoch) => {
        if (epoch === 0 && batch === 0) {
          const again = data();
          const other = data();
          // Refused while fit runs; stopped once both refusals are back, so fit is surely still running.
          void Promise.allSettled([
            remote.fit(again.x, again.y).catch((e) => (refused = e)),
            remote.evaluate(other.x, other.y).catch((e) => (refusedEvaluate = e)),
          ]).then(() => remote.stop());
        }
      },
    });
    expect(refused).toBeInstanceOf(RuntimeError);
    expect((refused as Error).message).toContain('cannot run while fit() runs in the worker');
    expect((refusedEvaluate as Error).message).toBe(
      "WorkerModel.evaluate() cannot run while fit() runs in the worker: call stop() and wait for fit's promise first.",
    );
    // The first fit made the optimizer's and metrics' variables; nothing may grow from here on.
    const settled = (await remote.memory()).numTensors;

    // Errors thrown in the worker come back as the same class, and free what they allocated.
    const wrongLabels = () => ({ data: new Int32Array(10), shape: [10] });
    await expect(remote.fit(data().x, wrongLabels(), { epochs: 1 })).rejects.toThrow(ValueError);
    await expect(remote.predict({ data: new Float32Array(6), shape: [2, 3] })).rejects.toThrow(
      /is incompatible with the layer: expected shape=\(None, 4\), found shape=\(2, 3\)/,
    );
    await remote.predict({ data: new Float32Array(8), shape: [2, FEATURES] });
    await remote.save();
    await remote.fit(data().x, data().y, { epochs: 1, batchSize: 16 });
    await remote.predict({ data: new Float32Array(8), shape: [2, FEATURES] });
    await expect(remote.evaluate(data().x, wrongLabels())).rejects.toThrow(ValueError);
    expect((await remote.memory()).numTensors).toBe(settled);
  });

  it('sends a compiled, never-trained model without the warning an unbuilt optimizer would cause', async () => {
    const page = mlp();
    page.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      await remote.load(page);
      await remote.fit(data().x, data().y, { epochs: 1, batchSize: 32 });
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([]);
  });

  it('names data that cannot be transferred, before anything is sent', async () => {
    await remote.load(mlp());
    const before = tf.memory().numTensors;
    const y = data().y;
    await expect(
      remote.fit({ data: [1, 2, 3, 4] as unknown as Float32Array, shape: [1, 4] }, y),
    ).rejects.toThrow(
      'WorkerModel.fit expects x.data to be a Float32Array, Int32Array or Uint8Array (only typed arrays can be transferred to a worker; wrap a plain array as new Float32Array(values)). Received: x.data=an Array of length 4',
    );
    await expect(remote.fit(data().x, [[0, 1, 2]] as unknown as HostArray)).rejects.toThrow(
      'Received: y[0]=an Array of length 3',
    );
    await expect(remote.predict({ data: new Float32Array(6), shape: [2, 4] })).rejects.toThrow(
      'WorkerModel.predict expects x.data to hold the product of x.shape = 8 values. Received: 6 values for shape [2,4]',
    );
    const sent = data();
    await remote.predict({ data: sent.x.data, shape: sent.x.shape });
    await expect(remote.predict(sent.x)).rejects.toThrow('already transferred (detached)');
    await expect(remote.fit(data().x, y, { callbacks: [] } as never)).rejects.toThrow(
      'Callback objects cannot be sent to a worker: pass onBatchEnd / onEpochEnd functions instead.',
    );
    // The labels were not sent by the failed calls: still readable here.
    expect(y.data.byteLength).toBe(N * 4);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names a model that cannot be serialized: a subclassed model without a registered config', async () => {
    class Unregistered extends Model {
      dense = new Dense({ units: 2 });
      override call(x: tf.Tensor): tf.Tensor {
        return this.dense.apply(x) as tf.Tensor;
      }
    }
    const m = new Unregistered({ name: 'custom_net' });
    const probe = tf.zeros([1, 3]);
    tf.dispose(m.predict(probe, { verbose: 0 }));
    const before = tf.memory().numTensors;
    const error = await remote.load(m).catch((e) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect(error.message).toMatch(
      /^WorkerModel.load could not send model 'custom_net' to the worker: it must be saved as .keras bytes first, and that failed: .+ Received: a Unregistered$/,
    );
    expect(tf.memory().numTensors).toBe(before);
    await expect(remote.load('models/net.keras')).rejects.toThrow(
      "WorkerModel.load expects a Model, .keras bytes or an 'indexeddb://key' path (a worker has no file system). Received: 'models/net.keras'",
    );
    await expect(remote.predict({ data: new Float32Array(3), shape: [1, 3] })).rejects.toThrow(
      'WorkerModel.predict() needs a model: call load() first.',
    );
    tf.dispose(probe);
    m.dispose();
  });

  it("reports webgpu asked for where none exists with setBackend's RuntimeError", async () => {
    const error = await remote.setBackend('webgpu').catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error.message).toMatch(
      /^Backend 'webgpu' failed to initialise: navigator.gpu does not exist here/,
    );
    await expect(remote.setBackend('cpu')).resolves.toBe('cpu');
  });
});

/** A worker stand-in that can crash: what a Worker fires when its script throws or fails to load. */
class CrashingWorker extends EventTarget {
  terminated = false;
  sent: unknown[] = [];
  postMessage(message: unknown): void {
    this.sent.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  crash(message: string): void {
    this.dispatchEvent(
      Object.assign(new Event('error'), { message, filename: 'train-worker.js', lineno: 12 }),
    );
  }
}

describe('a worker that crashes', () => {
  it('rejects pending and later calls with a WorkerCrashedError naming the crash, and terminates the worker', async () => {
    const worker = new CrashingWorker();
    const told: Error[] = [];
    const crashing = new WorkerModel(worker as unknown as WorkerEndpoint, { onCrash: (e) => told.push(e) });
    const fit = crashing.fit(data().x, data().y, { epochs: 1 });
    const predict = crashing.predict({ data: new Float32Array(4), shape: [1, 4] });
    await new Promise((r) => setTimeout(r, 0));
    expect(worker.sent).toHaveLength(2);
    worker.crash('Uncaught RangeError: Array buffer allocation failed');
    for (const call of [fit, predict, crashing.memory()]) {
      const error = await call.catch((e) => e);
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error).toBeInstanceOf(RuntimeError);
      expect(error.message).toBe(
        'The worker crashed: Uncaught RangeError: Array buffer allocation failed (train-worker.js:12). ' +
          'Every pending call was cancelled and this WorkerModel cannot be used again: create a new Worker and a new WorkerModel.',
      );
    }
    expect(worker.terminated).toBe(true);
    expect(crashing.crashed).toBeInstanceOf(WorkerCrashedError);
    // The page is told once, so a UI can start a new worker.
    expect(told).toEqual([crashing.crashed]);
  });
});
