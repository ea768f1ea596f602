import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

import { registerTestClasses, TestDense, TestMSE, TestSGD } from '../../test/fixtures.js';
import { Model } from '../model.js';
import { Sequential } from '../sequential.js';
import type { StepData, StepLogs } from './trainer.js';

beforeAll(() => registerTestClasses());

function mseByHand(pred: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(pred, y))).dataSync()[0]);
}

describe('the *OnBatch calls (Keras 3.15: metrics reset on each call)', () => {
  test("testOnBatch and trainOnBatch return that batch's loss, not a running mean", async () => {
    const model = new Sequential([new TestDense({ units: 1, inputShape: [2], seed: 5 })]);
    model.compile({ optimizer: new TestSGD({ learningRate: 0.1 }), loss: new TestMSE() });
    const x1 = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const y1 = tf.tensor2d([[1], [0]]);
    const x2 = tf.tensor2d([[-1, 0.5]]);
    const y2 = tf.tensor2d([[3]]);
    const p1 = model.predict(x1) as tf.Tensor;
    const p2 = model.predict(x2) as tf.Tensor;
    const l1 = mseByHand(p1, y1);
    const l2 = mseByHand(p2, y2);
    expect(Math.abs(l1 - l2)).toBeGreaterThan(0.1);
    expect(await model.testOnBatch(x1, y1)).toBeCloseTo(l1, 5);
    expect(await model.testOnBatch(x2, y2)).toBeCloseTo(l2, 5);
    // trainOnBatch reports the loss before its update, for its batch alone.
    expect(await model.trainOnBatch(x2, y2)).toBeCloseTo(l2, 5);
    const p2After = model.predict(x2) as tf.Tensor;
    expect(await model.trainOnBatch(x2, y2)).toBeCloseTo(mseByHand(p2After, y2), 5);
    const before = tf.memory().numTensors;
    await model.trainOnBatch(x1, y1);
    await model.testOnBatch(x1, y1);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x1, y1, x2, y2, p1, p2, p2After]);
  });
});

describe('fit(x, args): arrays without targets, as Keras’s fit(x)', () => {
  class SeesTargets extends Model {
    dense = new TestDense({ units: 1, seed: 3 });
    seen: unknown[] = [];
    override call(x: tf.Tensor): tf.Tensor {
      return this.dense.apply(x) as tf.Tensor;
    }
    override trainStep({ x, y }: StepData): StepLogs {
      this.seen.push(y);
      return { loss: tf.mean(this.call(x as tf.Tensor)) };
    }
  }

  test('the options come second; a custom trainStep gets no targets', async () => {
    const m = new SeesTargets();
    m.compile({ optimizer: new TestSGD({ learningRate: 0.1 }) });
    const x = tf.ones([4, 2]);
    const history = await m.fit(x, { epochs: 2, batchSize: 2, verbose: 0 });
    expect(history.history.loss).toHaveLength(2);
    expect(m.seen).toEqual([null, null, null, null]);
    x.dispose();
  });

  test('the built-in step trains on losses added in call, with no compiled loss', async () => {
    class Shrink extends Model {
      dense = new TestDense({ units: 1, seed: 3 });
      override call(x: tf.Tensor): tf.Tensor {
        const out = this.dense.apply(x) as tf.Tensor;
        this.addLoss(tf.mean(tf.square(out)) as tf.Scalar);
        return out;
      }
    }
    const m = new Shrink();
    m.compile({ optimizer: new TestSGD({ learningRate: 0.05 }) });
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
    const before = tf.tidy(() => tf.mean(tf.square(m.predict(x) as tf.Tensor)).dataSync()[0]);
    const history = await m.fit(x, { epochs: 3, batchSize: 2, verbose: 0 });
    // Each epoch's loss is the added loss before that epoch's one step.
    expect(history.history.loss[0]).toBeCloseTo(before, 5);
    expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    x.dispose();
  });

  test('with a compiled loss, missing targets fail before any weight moves', async () => {
    const m = new Sequential([new TestDense({ units: 1, inputShape: [2], seed: 5 })]);
    m.compile({ optimizer: new TestSGD({ learningRate: 0.1 }), loss: new TestMSE() });
    const x = tf.ones([4, 2]);
    const weights = m.getWeights().map((w) => Array.from(w.dataSync()));
    const count = tf.memory().numTensors;
    await expect(m.fit(x, { epochs: 1, verbose: 0 })).rejects.toThrow('fit() needs targets `y`');
    expect(tf.memory().numTensors).toBe(count);
    expect(m.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(weights);
    x.dispose();
  });
});
