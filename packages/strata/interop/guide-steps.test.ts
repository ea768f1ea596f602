/**
 * Keras 3 itself as the oracle for the steps of its guide "Customizing what happens in fit()" (issue 18): the
 * same functional model, the same initial weights and data, one epoch of five batches. Keras runs the guide's
 * TensorFlow steps (guide_steps.py); Strata runs the same steps as test/guide-steps.ts writes them. The
 * per-batch logs and the weights after each of the five steps' epoch must agree, as must a custom testStep's
 * evaluate and the *OnBatch calls (which reset the metrics each call in Keras 3). Runs with STRATA_INTEROP=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Callback, input, type Logs, Model, type ModelArgs } from '@strata/core';
import { Dense } from '@strata/layers';
import '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PYTHON, pythonCanImport, pythonEnv } from '../../io/interop/python.js';
import { ComputeLossModel, CustomTest, LowLevel, Weighted } from '../test/guide-steps.js';

const here = fileURLToPath(new URL('.', import.meta.url));
// The guide's TensorFlow version uses tf.GradientTape: the venv's tensorflow-cpu (added for the lookup layers).
const enabled = pythonCanImport(['keras', 'tensorflow']);

const N = 20;
const xv = Array.from({ length: N * 4 }, (_, i) => Math.sin(i * 1.3 + 1));
const yv = Array.from({ length: N }, (_, i) => Math.cos(i * 0.7 + 1));
const swv = Array.from({ length: N }, (_, i) => (i % 3) + 0.5);
// Input(4) -> Dense(8, tanh) -> Dense(1), weights from a formula.
const shapes = [[4, 8], [8], [8, 1], [1]];
const initial = shapes.map((shape, k) => {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Array.from({ length: size }, (_, i) => 0.5 * Math.sin(1 + 3 * k + i * 0.37)) };
});

let keras: Record<string, any>;
let dir = '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function build<M extends Model>(Cls: new (args: ModelArgs) => M): M {
  const inp = input({ shape: [4] });
  const hidden = new Dense({ units: 8, activation: 'tanh' }).apply(inp);
  const model = new Cls({ inputs: inp, outputs: new Dense({ units: 1 }).apply(hidden) });
  model.setWeights(initial.map((w) => tf.tensor(w.values, w.shape)));
  return model;
}

function expectClose(actual: number[], expected: number[], digits = 5): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i], digits);
  });
}

class BatchLogs extends Callback {
  logs: Record<string, number>[] = [];
  override onTrainBatchEnd(_batch: number, logs?: Logs): void {
    this.logs.push({ ...logs });
  }
}

async function fitOneEpoch(
  model: Model,
  sampleWeight?: tf.Tensor,
): Promise<{ batches: Logs[]; weights: number[][] }> {
  const x = tf.tensor2d(xv, [N, 4]);
  const y = tf.tensor2d(yv, [N, 1]);
  const watch = new BatchLogs();
  await model.fit(x, y, {
    batchSize: 4,
    epochs: 1,
    shuffle: false,
    verbose: 0,
    callbacks: [watch],
    sampleWeight,
  });
  tf.dispose([x, y]);
  return { batches: watch.logs, weights: model.getWeights().map((w) => Array.from(w.dataSync())) };
}

function expectSameRun(mine: { batches: Logs[]; weights: number[][] }, theirs: Record<string, any>): void {
  expect(mine.batches).toHaveLength(5);
  expect(theirs.batches).toHaveLength(5);
  mine.batches.forEach((logs, b) => {
    expect(Object.keys(logs).sort()).toEqual(Object.keys(theirs.batches[b]).sort());
    for (const key of Object.keys(logs)) expect(logs[key]).toBeCloseTo(theirs.batches[b][key], 5);
  });
  mine.weights.forEach((w, i) => {
    expectClose(w, theirs.weights[i]);
  });
}

describe.skipIf(!enabled)("Keras's guide steps against Keras 3", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'strata-guide-interop-'));
    writeFileSync(
      join(dir, 'guide_input.json'),
      JSON.stringify({ x: chunk(xv, 4), y: chunk(yv, 1), sw: swv, weights: initial }),
    );
    execFileSync(PYTHON, [join(here, 'guide_steps.py'), dir], {
      env: { ...pythonEnv, KERAS_BACKEND: 'tensorflow', TF_CPP_MIN_LOG_LEVEL: '3' },
      stdio: 'pipe',
    });
    keras = JSON.parse(readFileSync(join(dir, 'guide_keras.json'), 'utf8'));
    // TensorFlow's import alone takes a minute or two on a loaded 2-core machine.
  }, 600_000);

  it('computeLoss with the compiled metrics: five steps agree', async () => {
    const m = build(ComputeLossModel);
    m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    expectSameRun(await fitOneEpoch(m), keras.compute_loss);
  });

  it('own Mean trackers and a metrics getter, compiled without a loss: five steps agree', async () => {
    const m = build(LowLevel);
    m.compile({ optimizer: new SGD({ learningRate: 0.1 }) });
    expectSameRun(await fitOneEpoch(m), keras.low_level);
  });

  it('sample weights: five steps agree', async () => {
    const m = build(Weighted);
    m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const sw = tf.tensor1d(swv);
    expectSameRun(await fitOneEpoch(m, sw), keras.sample_weight);
    sw.dispose();
  });

  it("a custom testStep's evaluate agrees", async () => {
    const m = build(CustomTest);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const x = tf.tensor2d(xv, [N, 4]);
    const y = tf.tensor2d(yv, [N, 1]);
    const logs = (await m.evaluate(x, y, { batchSize: 8, verbose: 0, returnDict: true })) as Record<
      string,
      number
    >;
    expect(Object.keys(logs).sort()).toEqual(Object.keys(keras.custom_test_step).sort());
    for (const key of Object.keys(logs)) expect(logs[key]).toBeCloseTo(keras.custom_test_step[key], 5);
    tf.dispose([x, y]);
  });

  it('trainOnBatch and testOnBatch return each batch on its own, as Keras 3 does', async () => {
    const m = build(Model);
    m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const batch = (i: number) => [
      tf.tensor2d(xv.slice(i * 16, (i + 1) * 16), [4, 4]),
      tf.tensor2d(yv.slice(i * 4, (i + 1) * 4), [4, 1]),
    ];
    for (let i = 0; i < 3; i++) {
      const [x, y] = batch(i);
      expectClose((await m.trainOnBatch(x, y)) as number[], keras.train_on_batch[i]);
      tf.dispose([x, y]);
    }
    for (let i = 0; i < 2; i++) {
      const [x, y] = batch(i);
      expectClose((await m.testOnBatch(x, y)) as number[], keras.test_on_batch[i]);
      tf.dispose([x, y]);
    }
    m.getWeights().forEach((w, i) => {
      expectClose(Array.from(w.dataSync()), keras.after_on_batch_weights[i]);
    });
  });
});

function chunk(values: number[], width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, r) => values.slice(r * width, (r + 1) * width));
}
