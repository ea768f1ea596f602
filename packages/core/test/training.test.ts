import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

import { Callback, input, type Logs, Model, Sequential } from '../src/index.js';
import { registerTestClasses, TestConcat, TestDense, TestMSE, TestSGD, xorData } from './fixtures.js';

beforeAll(() => registerTestClasses());

function xorModel(): Sequential {
  return new Sequential([
    new TestDense({ units: 16, activation: 'tanh', inputShape: [2], seed: 11 }),
    new TestDense({ units: 1, activation: 'sigmoid', seed: 23 }),
  ]);
}

describe('fit', () => {
  test("a two-layer net's loss falls on XOR-like data", async () => {
    const model = xorModel();
    model.compile({
      optimizer: new TestSGD({ learningRate: 0.5 }),
      loss: new TestMSE(),
      metrics: ['test_acc' as never],
    });
    const { x, y } = xorData(256);
    const history = await model.fit(x, y, { epochs: 60, batchSize: 32, verbose: 0 });
    const loss = history.history.loss;
    expect(loss).toHaveLength(60);
    expect(loss[59]).toBeLessThan(loss[0] * 0.6);
    expect(history.history.test_acc[59]).toBeGreaterThan(0.8);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('History keys equal Keras log keys, with val_ prefixes', async () => {
    const model = xorModel();
    model.compile({ optimizer: new TestSGD(), loss: new TestMSE(), metrics: ['test_acc' as never] });
    const { x, y } = xorData(40);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, validationSplit: 0.25 });
    expect(Object.keys(history.history)).toEqual(['loss', 'test_acc', 'val_loss', 'val_test_acc']);
    expect(history.epoch).toEqual([0, 1]);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('the epoch loss is the batch-size-weighted mean of the batch losses', async () => {
    // lr 0: weights never change, so every batch loss is the loss of the fixed model on that batch.
    const model = xorModel();
    model.compile({ optimizer: new TestSGD({ learningRate: 0 }), loss: new TestMSE() });
    const { x, y } = xorData(10);
    const history = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    const pred = model.predict(x) as tf.Tensor;
    const expected = tf.tidy(() => tf.mean(tf.square(tf.sub(pred, y))).dataSync()[0]);
    expect(history.history.loss[0]).toBeCloseTo(expected, 6);
    tf.dispose([x, y, pred]);
    model.dispose();
  });

  test('a functional model with two inputs and two outputs trains with lossWeights', async () => {
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [2], name: 'b' });
    const h = new TestDense({ units: 8, activation: 'tanh', seed: 3 }).apply(
      new TestConcat().apply([a, b]) as never,
    );
    const out1 = new TestDense({ units: 1, name: 'out1', seed: 5 }).apply(h);
    const out2 = new TestDense({ units: 2, name: 'out2', seed: 7 }).apply(h);
    const model = new Model({ inputs: [a, b], outputs: [out1, out2] });
    expect(model.outputNames).toEqual(['out1', 'out2']);
    model.compile({
      optimizer: new TestSGD({ learningRate: 0.05 }),
      loss: [new TestMSE(), new TestMSE()],
      lossWeights: [1, 0.5],
    });
    const xa = tf.randomUniform([64, 3], -1, 1, 'float32', 1);
    const xb = tf.randomUniform([64, 2], -1, 1, 'float32', 2);
    const y1 = tf.tidy(() => tf.sum(xa, 1, true));
    const y2 = tf.tidy(() => tf.concat([xb, tf.neg(xb)], 1).slice([0, 0], [64, 2]));
    const history = await model.fit([xa, xb], [y1, y2], { epochs: 30, batchSize: 16, verbose: 0 });
    const hh = history.history;
    expect(Object.keys(hh)).toEqual(['loss', 'out1_loss', 'out2_loss']);
    expect(hh.loss[29]).toBeLessThan(hh.loss[0] * 0.5);
    // The total is the weighted sum of the per-output losses.
    expect(hh.loss[29]).toBeCloseTo(hh.out1_loss[29] + 0.5 * hh.out2_loss[29], 4);
    // Targets keyed by output name work the same way.
    const r = (await model.evaluate(
      { a: xa, b: xb },
      { out1: y1, out2: y2 },
      { verbose: 0, returnDict: true },
    )) as Logs;
    expect(r.loss).toBeCloseTo(r.out1_loss + 0.5 * r.out2_loss, 5);
    tf.dispose([xa, xb, y1, y2]);
    model.dispose();
  });

  test('a Model nested in another trains', async () => {
    const innerIn = input({ shape: [2] });
    const inner = new Model({
      inputs: innerIn,
      outputs: new TestDense({ units: 8, activation: 'tanh', seed: 31 }).apply(innerIn),
      name: 'inner',
    });
    const outerIn = input({ shape: [2] });
    const outer = new Model({
      inputs: outerIn,
      outputs: new TestDense({ units: 1, activation: 'sigmoid', seed: 37 }).apply(inner.apply(outerIn)),
    });
    expect(outer.trainableWeights).toHaveLength(4);
    const innerKernelBefore = inner.getWeights()[0];
    outer.compile({ optimizer: new TestSGD({ learningRate: 0.5 }), loss: new TestMSE() });
    const { x, y } = xorData(128);
    const history = await outer.fit(x, y, { epochs: 40, batchSize: 32, verbose: 0 });
    expect(history.history.loss[39]).toBeLessThan(history.history.loss[0]);
    const innerKernelAfter = inner.getWeights()[0];
    expect(tf.max(tf.abs(tf.sub(innerKernelAfter, innerKernelBefore))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, y, innerKernelBefore, innerKernelAfter]);
    outer.dispose();
  });

  test('fit accepts a (async) iterable of {xs, ys} batches', async () => {
    const model = xorModel();
    model.compile({ optimizer: new TestSGD({ learningRate: 0.5 }), loss: new TestMSE() });
    const { x, y } = xorData(64);
    const dataset = {
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 64; i += 16) yield { xs: x.slice(i, 16), ys: y.slice(i, 16) };
      },
    };
    const before = tf.memory().numTensors;
    const history = await model.fit(dataset, { epochs: 3, verbose: 0 });
    expect(history.history.loss).toHaveLength(3);
    // Batches the dataset yields are the caller's; the loop itself leaves nothing behind (4 slices * 2 * 3 epochs).
    expect(tf.memory().numTensors - before).toBe(24);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('callbacks', () => {
  test("hooks fire in Keras 3's order, and evaluate inside fit uses the test hooks", async () => {
    const events: string[] = [];
    class Recorder extends Callback {
      override onTrainBegin() {
        events.push('train_begin');
      }
      override onTrainEnd() {
        events.push('train_end');
      }
      override onEpochBegin(e: number) {
        events.push(`epoch_begin ${e}`);
      }
      override onEpochEnd(e: number, logs?: Logs) {
        events.push(`epoch_end ${e} ${Object.keys(logs ?? {}).join(',')}`);
      }
      override onTrainBatchBegin(b: number) {
        events.push(`batch_begin ${b}`);
      }
      override onTrainBatchEnd(b: number) {
        events.push(`batch_end ${b}`);
      }
      override onTestBegin() {
        events.push('test_begin');
      }
      override onTestBatchEnd(b: number) {
        events.push(`test_batch_end ${b}`);
      }
      override onTestEnd() {
        events.push('test_end');
      }
    }
    const model = xorModel();
    model.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    const { x, y } = xorData(12);
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      verbose: 0,
      validationData: [x.slice(0, 4), y.slice(0, 4)],
      callbacks: [new Recorder()],
    });
    expect(events).toEqual([
      'train_begin',
      'epoch_begin 0',
      'batch_begin 0',
      'batch_end 0',
      'batch_begin 1',
      'batch_end 1',
      'batch_begin 2',
      'batch_end 2',
      'test_begin',
      'test_batch_end 0',
      'test_end',
      'epoch_end 0 loss,val_loss',
      'epoch_begin 1',
      'batch_begin 0',
      'batch_end 0',
      'batch_begin 1',
      'batch_end 1',
      'batch_begin 2',
      'batch_end 2',
      'test_begin',
      'test_batch_end 0',
      'test_end',
      'epoch_end 1 loss,val_loss',
      'train_end',
    ]);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('batch logs are numbers read on demand, equal to the running mean', async () => {
    const seen: number[] = [];
    class Reader extends Callback {
      override onTrainBatchEnd(_b: number, logs?: Logs) {
        seen.push(logs!.loss);
      }
    }
    const model = xorModel();
    model.compile({ optimizer: new TestSGD({ learningRate: 0 }), loss: new TestMSE() });
    const { x, y } = xorData(8);
    const h = await model.fit(x, y, {
      epochs: 1,
      batchSize: 4,
      verbose: 0,
      shuffle: false,
      callbacks: [new Reader()],
    });
    expect(seen).toHaveLength(2);
    expect(typeof seen[0]).toBe('number');
    expect(seen[1]).toBeCloseTo(h.history.loss[0], 6);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('stopTraining set in onEpochEnd halts after the current epoch', async () => {
    class Stopper extends Callback {
      override onEpochEnd(epoch: number) {
        if (epoch === 1) this.model!.stopTraining = true;
      }
    }
    const model = xorModel();
    model.compile({ optimizer: new TestSGD(), loss: new TestMSE() });
    const { x, y } = xorData(16);
    const h = await model.fit(x, y, { epochs: 10, batchSize: 8, verbose: 0, callbacks: [new Stopper()] });
    expect(h.epoch).toEqual([0, 1]);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('predict', () => {
  test('calls the predict hooks once per batch and concatenates the batches', () => {
    const events: string[] = [];
    class Recorder extends Callback {
      override onPredictBegin() {
        events.push('begin');
      }
      override onPredictBatchEnd(b: number) {
        events.push(`batch ${b}`);
      }
      override onPredictEnd() {
        events.push('end');
      }
    }
    const model = xorModel();
    const { x, y } = xorData(10);
    const all = model.predict(x, { batchSize: 4, callbacks: [new Recorder()] }) as tf.Tensor;
    const whole = model.predict(x, { batchSize: 100 }) as tf.Tensor;
    expect(events).toEqual(['begin', 'batch 0', 'batch 1', 'batch 2', 'end']);
    expect(all.shape).toEqual([10, 1]);
    expect(Array.from(all.dataSync())).toEqual(Array.from(whole.dataSync()));
    tf.dispose([x, y, all, whole]);
    model.dispose();
  });
});

describe('no tensor growth', () => {
  test('numTensors is the same before and after fit (3 epochs with validation), evaluate and predict', async () => {
    const model = xorModel();
    model.compile({ optimizer: new TestSGD(), loss: new TestMSE(), metrics: ['test_acc' as never] });
    const { x, y } = xorData(50);
    // Warm up once: the first fit builds the metrics and the optimizer's state.
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const before = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, validationSplit: 0.2 });
    expect(tf.memory().numTensors).toBe(before);
    await model.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      validationData: [x, y],
      classWeight: { 0: 1, 1: 2 },
    });
    expect(tf.memory().numTensors).toBe(before);
    await model.evaluate(x, y, { verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    const p = model.predict(x, { batchSize: 7 }) as tf.Tensor;
    expect(p.shape).toEqual([50, 1]);
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await model.trainOnBatch(x, y);
    await model.testOnBatch(x, y);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });
});
