import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';

import { registerTestClasses, TestDense, TestMSE, TestSGD } from '../../test/fixtures.js';
import { Sequential } from '../sequential.js';

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
