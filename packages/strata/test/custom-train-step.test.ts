/**
 * Keras's guide "Customizing what happens in fit()" ported (issue 18): overridden `trainStep`, `testStep`
 * and a GAN, run by fit with callbacks and the progress bar. A step written as the guide writes it does
 * what the built-in step does, so it must follow the same path as the plain model from the same weights.
 */
import { ProgbarLogger } from '@strata/callbacks';
import {
  Callback,
  type Dataset,
  input,
  type Logs,
  Model,
  type ModelArgs,
  Sequential,
  type StepData,
  type StepLogs,
} from '@strata/core';
import { Dense } from '@strata/layers';
import { losses } from '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { ComputeLossModel, CustomTest, GAN, type GanCompileArgs, LowLevel, Weighted } from './guide-steps.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function data(n = 16, seed = 1): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xv = Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 1.3 + seed));
  const yv = Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + seed));
  return { x: tf.tensor2d(xv, [n, 4]), y: tf.tensor2d(yv, [n, 1]) };
}

/** A functional model (the guide's `keras.Input(shape=(32,))` -> Dense(1)), built as `Cls`. */
function functional<M extends Model>(Cls: new (args: ModelArgs) => M): M {
  const inp = input({ shape: [4] });
  return new Cls({ inputs: inp, outputs: new Dense({ units: 1 }).apply(inp) });
}

function values(m: Model): number[][] {
  return m.weights.map((w) => Array.from(w.value.dataSync()));
}

function expectSameHistory(a: Record<string, number[]>, b: Record<string, number[]>, keys: string[]) {
  for (const k of keys) {
    expect(a[k]).toHaveLength(b[k].length);
    a[k].forEach((v, i) => {
      expect(v).toBeCloseTo(b[k][i], 5);
    });
  }
}

function expectSameWeights(a: Model, b: Model) {
  const wb = values(b);
  values(a).forEach((w, i) => {
    w.forEach((v, j) => {
      expect(v).toBeCloseTo(wb[i][j], 5);
    });
  });
}

describe("Keras's guide: customizing what happens in fit()", () => {
  test('a trainStep with computeLoss and the compiled metrics runs with fit, callbacks and the progress bar', async () => {
    const { x, y } = data();
    const custom = functional(ComputeLossModel);
    const plain = functional(Model);
    plain.setWeights(custom.getWeights());
    for (const m of [custom, plain])
      m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const batchLogs: number[] = [];
    const lines: string[] = [];
    class Watch extends Callback {
      override onTrainBatchEnd(_b: number, logs?: Logs) {
        batchLogs.push(logs!.loss);
      }
    }
    const h1 = await custom.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      shuffle: false,
      verbose: 1,
      callbacks: [new Watch(), new ProgbarLogger({ printFn: (l: string) => lines.push(l) })],
    });
    const h2 = await plain.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    expect(Object.keys(h1.history).sort()).toEqual(['loss', 'mae']);
    expectSameHistory(h1.history, h2.history, ['loss', 'mae']);
    expectSameWeights(custom, plain);
    expect(batchLogs).toHaveLength(12);
    // The last batch's running mean is the epoch's loss.
    expect(batchLogs[11]).toBeCloseTo(h1.history.loss[2], 5);
    expect(lines.join('\n')).toMatch(/4\/4.*loss: \d.*mae: \d/s);

    // Steady state: a further epoch leaks nothing.
    const before = tf.memory().numTensors;
    await custom.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  test('a lower-level trainStep with its own Mean trackers and a metrics getter; compile without a loss', async () => {
    const { x, y } = data();
    const custom = functional(LowLevel);
    const plain = functional(Model);
    plain.setWeights(custom.getWeights());
    custom.compile({ optimizer: new SGD({ learningRate: 0.1 }) });
    plain.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const h1 = await custom.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    const h2 = await plain.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
    // The trackers are reset each epoch (through the metrics getter): the epoch means match the plain model's.
    expectSameHistory(h1.history, h2.history, ['loss', 'mae']);
    expectSameWeights(custom, plain);
    expect(custom.metricsNames).toEqual(['loss', 'mae']);
    tf.dispose([x, y]);
  });

  test('sample weights reach a custom trainStep', async () => {
    const { x, y } = data();
    const sw = tf.tensor1d(Array.from({ length: 16 }, (_, i) => (i % 3) + 0.5));
    const custom = functional(Weighted);
    const plain = functional(Model);
    plain.setWeights(custom.getWeights());
    custom.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    // Compiled `metrics` ignore sample weights in Keras, also when a custom step passes them (checked against
    // Keras itself in interop/guide-steps.test.ts).
    plain.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const h1 = await custom.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      shuffle: false,
      sampleWeight: sw,
      verbose: 0,
    });
    const h2 = await plain.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      shuffle: false,
      sampleWeight: sw,
      verbose: 0,
    });
    expect(h1.history.loss).toHaveLength(2);
    h1.history.loss.forEach((v, i) => {
      expect(v).toBeCloseTo(h2.history.loss[i], 5);
    });
    h1.history.mae.forEach((v, i) => {
      expect(v).toBeCloseTo(h2.history.mae[i], 5);
    });
    expectSameWeights(custom, plain);
    // The weights matter: the weighted loss differs from the unweighted one on the same model.
    const unweighted = (await plain.evaluate(x, y, { verbose: 0 })) as number[];
    const weighted = (await plain.evaluate(x, y, { sampleWeight: sw, verbose: 0 })) as number[];
    expect(Math.abs(unweighted[0] - weighted[0])).toBeGreaterThan(1e-3);
    tf.dispose([x, y, sw]);
  });

  test('a custom testStep drives evaluate', async () => {
    const { x, y } = data(12);
    const m = functional(CustomTest);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    // Builds the compiled metrics (they resolve on the first batch), then the counted run.
    await m.evaluate(x, y, { batchSize: 12, verbose: 0 });
    const before = tf.memory().numTensors;
    const [loss, mae] = (await m.evaluate(x, y, { batchSize: 12, verbose: 0 })) as number[];
    expect(tf.memory().numTensors).toBe(before);
    const pred = m.predict(x) as tf.Tensor;
    expect(loss).toBeCloseTo(
      tf.tidy(() => tf.mean(tf.square(tf.sub(pred, y))).dataSync()[0]),
      5,
    );
    expect(mae).toBeCloseTo(
      tf.tidy(() => tf.mean(tf.abs(tf.sub(pred, y))).dataSync()[0]),
      5,
    );
    // testOnBatch runs the same step, on that batch alone.
    expect(await m.testOnBatch(x, y)).toEqual([expect.closeTo(loss, 5), expect.closeTo(mae, 5)]);
    tf.dispose([x, y, pred]);
  });

  test('a GAN: two optimizers, compile with extra arguments, fit on a dataset without targets', async () => {
    const latentDim = 3;
    const discriminator = new Sequential([
      new Dense({ units: 8, activation: 'relu', inputShape: [4] }),
      new Dense({ units: 1 }),
    ]);
    const generator = new Sequential([
      new Dense({ units: 8, activation: 'relu', inputShape: [latentDim] }),
      new Dense({ units: 4, activation: 'tanh' }),
    ]);
    const gan = new GAN(discriminator, generator);
    const args = {
      dOptimizer: new SGD({ learningRate: 0.05 }),
      gOptimizer: new SGD({ learningRate: 0.05 }),
      lossFn: new losses.BinaryCrossentropy({ fromLogits: true }),
    };
    expect(() => gan.compile({ ...args, learningRate: 0.1 } as GanCompileArgs)).toThrow(
      /Unrecognized keyword arguments passed to GAN.compile\(\): \{'learningRate': 0.1/,
    );
    expect(gan.compiled).toBe(false);
    gan.compile(args);
    // The real images, then the latent points and label noise the step would otherwise draw (see GAN).
    const columns = [4, latentDim, latentDim, 2].map((width, k) =>
      tf.tidy(() => tf.tanh(tf.randomNormal([16, width], 0, 1, 'float32', 3 + k))),
    );
    const batches = [0, 1, 2, 3].map((i) => columns.map((c) => c.slice(i * 4, 4)));
    const dataset: Dataset = {
      *[Symbol.iterator]() {
        for (const xs of batches) yield { xs };
      },
    };
    const d0 = values(discriminator);
    const g0 = values(generator);
    const lines: string[] = [];
    const history = await gan.fit(dataset, {
      epochs: 2,
      verbose: 1,
      callbacks: [new ProgbarLogger({ printFn: (l: string) => lines.push(l) })],
    });
    expect(Object.keys(history.history).sort()).toEqual(['d_loss', 'g_loss']);
    for (const v of [...history.history.d_loss, ...history.history.g_loss])
      expect(Number.isFinite(v)).toBe(true);
    expect(lines.join('\n')).toMatch(/d_loss: \d.*g_loss: \d/s);
    // Each optimizer moved its own network.
    expect(values(discriminator)).not.toEqual(d0);
    expect(values(generator)).not.toEqual(g0);
    expect(args.dOptimizer.iterations.value.dataSync()[0]).toBe(8);
    expect(args.gOptimizer.iterations.value.dataSync()[0]).toBe(8);
    const before = tf.memory().numTensors;
    await gan.fit(dataset, { epochs: 1, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...columns, ...batches.flat()]);
  });

  test('a custom step or a callback that throws mid-epoch leaves no tensor behind', async () => {
    class Throws extends Model {
      calls = 0;
      override trainStep(d: StepData): StepLogs {
        if (++this.calls === 4) throw new Error('boom at step 4');
        return super.trainStep(d);
      }
    }
    class ThrowAtBatch extends Callback {
      override onTrainBatchEnd(batch: number) {
        if (batch === 1) throw new Error('callback failed');
      }
    }
    const { x, y } = data(12);
    const m = functional(Throws);
    m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    await m.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0 });
    const before = tf.memory().numTensors;
    await expect(m.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0 })).rejects.toThrow('boom at step 4');
    expect(tf.memory().numTensors).toBe(before);
    await expect(
      m.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, callbacks: [new ThrowAtBatch()] }),
    ).rejects.toThrow('callback failed');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  test('a custom predictStep drives predict, batch by batch', () => {
    class Probabilities extends Model {
      override predictStep(x: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>) {
        return tf.sigmoid(this.call(x as tf.Tensor, { training: false }) as tf.Tensor);
      }
    }
    const m = functional(Probabilities);
    const { x, y } = data(10);
    const raw = functional(Model);
    raw.setWeights(m.getWeights());
    const before = tf.memory().numTensors;
    const p = m.predict(x, { batchSize: 3 }) as tf.Tensor;
    const logits = raw.predict(x) as tf.Tensor;
    const byHand = tf.tidy(() => Array.from(tf.sigmoid(logits).dataSync()));
    Array.from(p.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(byHand[i], 6);
    });
    tf.dispose([p, logits]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  test('a trainStep that returns something other than a logs record fails and changes no weight', async () => {
    class NoLogs extends Model {
      override trainStep(data: StepData): StepLogs {
        super.trainStep(data);
        return tf.scalar(1) as unknown as StepLogs;
      }
    }
    const { x, y } = data(8);
    const m = functional(NoLogs);
    m.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'mse' });
    const w0 = values(m);
    await expect(m.fit(x, y, { verbose: 0 })).rejects.toThrow(
      /trainStep\(\) must return a record of logs: metric names to scalar tensors or numbers\. Received: a tensor of shape \(\)/,
    );
    expect(values(m)).toEqual(w0);
    // The built-in step, called through super, returns the metrics' values.
    class Plain extends Model {
      override trainStep(d: StepData): StepLogs {
        return super.trainStep(d);
      }
    }
    const p = functional(Plain);
    p.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'mse' });
    const logs = (await p.trainOnBatch(x, y, { returnDict: true })) as Logs;
    expect(Object.keys(logs)).toEqual(['loss']);
    tf.dispose([x, y]);
  });
});
