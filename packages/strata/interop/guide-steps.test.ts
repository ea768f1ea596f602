/**
 * Keras 3 itself as the oracle for the steps of its guide "Customizing what happens in fit()" (issue 18): the
 * same functional model, the same initial weights and data, one epoch of five batches. Keras runs the guide's
 * TensorFlow steps (guide_steps.py); Strata runs the same steps as test/guide-steps.ts writes them. The
 * per-batch logs and the weights after each of the five steps' epoch must agree, as must a custom testStep's
 * evaluate and the *OnBatch calls (which reset the metrics each call in Keras 3). The GAN takes its latent points
 * and label noise from the batch, so both frameworks draw the same. Runs with STRATA_INTEROP=1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Callback, type Dataset, input, type Logs, Model, type ModelArgs, Sequential } from '@strata/core';
import { Dense } from '@strata/layers';
import { losses } from '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PYTHON, pythonCanImport, pythonEnv } from '../../io/interop/python.js';
import { ComputeLossModel, CustomTest, GAN, LowLevel, Weighted } from '../test/guide-steps.js';

const here = fileURLToPath(new URL('.', import.meta.url));
// The guide's TensorFlow version uses tf.GradientTape: the venv's tensorflow-cpu (added for the lookup layers).
const enabled = pythonCanImport(['keras', 'tensorflow']);

const N = 20;
const xv = Array.from({ length: N * 4 }, (_, i) => Math.sin(i * 1.3 + 1));
const yv = Array.from({ length: N }, (_, i) => Math.cos(i * 0.7 + 1));
const swv = Array.from({ length: N }, (_, i) => (i % 3) + 0.5);
/** Weights of the given shapes from a formula (`offset` keeps two networks' weights apart). */
function formulaWeights(shapes: number[][], offset = 0): { shape: number[]; values: number[] }[] {
  return shapes.map((shape, k) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: size }, (_, i) => 0.5 * Math.sin(1 + 3 * (k + offset) + i * 0.37));
    return { shape, values };
  });
}
// Input(4) -> Dense(8, tanh) -> Dense(1).
const initial = formulaWeights([[4, 8], [8], [8, 1], [1]]);
// The GAN: discriminator 4 -> Dense(8, relu) -> Dense(1); generator 3 -> Dense(8, relu) -> Dense(4, tanh). Its
// batches are [real images, latent points for the discriminator step, for the generator step, label noise].
const LATENT = 3;
const gan = {
  real: chunk(xv.map(Math.tanh), 4),
  d_latent: chunk(
    Array.from({ length: N * LATENT }, (_, i) => Math.sin(i * 0.9 + 2)),
    LATENT,
  ),
  g_latent: chunk(
    Array.from({ length: N * LATENT }, (_, i) => Math.cos(i * 1.1 + 3)),
    LATENT,
  ),
  label_noise: chunk(
    Array.from({ length: N * 2 }, (_, i) => 0.5 + 0.5 * Math.sin(i * 2.3)),
    2,
  ),
  discriminator: formulaWeights([[4, 8], [8], [8, 1], [1]], 4),
  generator: formulaWeights([[LATENT, 8], [8], [8, 4], [4]], 8),
};

let keras: Record<string, any>;
let dir = '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function denseStack(
  inputDim: number,
  units: number[],
  activations: ('relu' | 'tanh' | 'linear')[],
  weights: typeof initial,
): Sequential {
  const model = new Sequential(
    units.map(
      (u, i) =>
        new Dense({ units: u, activation: activations[i], inputShape: i === 0 ? [inputDim] : undefined }),
    ),
  );
  model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  return model;
}

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
      JSON.stringify({ x: chunk(xv, 4), y: chunk(yv, 1), sw: swv, weights: initial, gan }),
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

  it('a GAN with two optimizers and latent points fed as data: five steps agree', async () => {
    const discriminator = denseStack(4, [8, 1], ['relu', 'linear'], gan.discriminator);
    const generator = denseStack(LATENT, [8, 4], ['relu', 'tanh'], gan.generator);
    const model = new GAN(discriminator, generator);
    model.compile({
      dOptimizer: new SGD({ learningRate: 0.05 }),
      gOptimizer: new SGD({ learningRate: 0.05 }),
      lossFn: new losses.BinaryCrossentropy({ fromLogits: true }),
    });
    const columns = [gan.real, gan.d_latent, gan.g_latent, gan.label_noise].map((rows) => tf.tensor2d(rows));
    const batches = [0, 1, 2, 3, 4].map((i) => columns.map((c) => c.slice(i * 4, 4)));
    const dataset: Dataset = {
      *[Symbol.iterator]() {
        for (const xs of batches) yield { xs };
      },
    };
    const watch = new BatchLogs();
    await model.fit(dataset, { epochs: 1, verbose: 0, callbacks: [watch] });
    const weights = [...discriminator.getWeights(), ...generator.getWeights()].map((w) =>
      Array.from(w.dataSync()),
    );
    expectSameRun({ batches: watch.logs, weights }, keras.gan);
    tf.dispose([...columns, ...batches.flat()]);
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
