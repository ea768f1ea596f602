/**
 * The three defects of issue 19, through the public API as a user meets them: `loss: 'huber'` trains,
 * accuracy over an uneven last batch counts samples, and a missing backend fails with a Strata error.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { layers, metrics, RuntimeError, Sequential } from '../../src/index.js';

function tinyModel(activation: 'linear' | 'sigmoid'): Sequential {
  const model = new Sequential([new layers.Dense({ units: 1, inputShape: [2], activation })]);
  // Fixed weights so the expected numbers below can be worked out by hand.
  model.setWeights([tf.tensor2d([[0.5], [-1]]), tf.tensor1d([0.25])]);
  return model;
}

describe('issue 19 defects', () => {
  it("compile({ loss: 'huber' }) trains: one SGD step matches the hand-computed update", async () => {
    const model = tinyModel('linear');
    model.compile({ optimizer: 'sgd', loss: 'huber' });
    const x = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    const y = tf.tensor2d([[2], [0]]);
    const before = tf.memory().numTensors;
    // Predictions: 0.75 (error -1.25: linear branch, slope -1) and -1.75 (error -1.75: slope -1).
    const history = await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0, shuffle: false });
    expect(tf.memory().numTensors).toBe(before);
    // huber(1.25) = 1.25 - 0.5 = 0.75; huber(1.75) = 1.25; mean 1.
    expect(history.history.loss[0]).toBeCloseTo(1, 6);
    // dL/dw = mean_i(-1 * x_i) = [-0.5, -1]; dL/db = -1; SGD learning rate 0.01.
    const [w, b] = model.getWeights();
    expect(Array.from(w.dataSync())).toEqual([0.5 + 0.005, -1 + 0.01].map((v) => Math.fround(v)));
    expect(b.dataSync()[0]).toBeCloseTo(0.25 + 0.01, 6);
    tf.dispose([x, y, w, b]);
  });

  it('accuracy over an uneven last batch of rank-1 targets counts samples (Keras: 2 of 4 = 0.5)', async () => {
    const model = new Sequential([new layers.Activation({ activation: 'linear', inputShape: [] })]);
    model.compile({ optimizer: 'sgd', loss: 'mse', metrics: [new metrics.BinaryAccuracy()] });
    const x = tf.tensor1d([0.9, 0.8, 0.7, 0.1]);
    const y = tf.tensor1d([1, 0, 1, 1]);
    const logs = (await model.evaluate(x, y, { batchSize: 3, verbose: 0, returnDict: true })) as Record<
      string,
      number
    >;
    expect(logs.binary_accuracy).toBeCloseTo(0.5, 6);
    tf.dispose([x, y]);
  });

  it("without any backend, building and training fail with a Strata error naming the import and setBackend('auto')", async () => {
    const engine = tf.engine();
    const names = Object.keys(engine.registryFactory);
    const model = tinyModel('sigmoid');
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    for (const n of names) tf.removeBackend(n);
    try {
      const expected =
        /No TensorFlow\.js backend is registered.*@strata\/backends\/cpu.*setBackend\('auto'\)/;
      expect(() => new Sequential([new layers.Dense({ units: 1, inputShape: [2] })])).toThrow(expected);
      expect(() => new Sequential([new layers.Dense({ units: 1, inputShape: [2] })])).toThrow(RuntimeError);
      expect(() => tinyModel('linear')).toThrow(expected);
      expect(() => model.compile({ optimizer: 'adam', loss: 'mse' })).toThrow(expected);
      await expect(model.fit([[1, 2]] as never, [[1]] as never, { verbose: 0 })).rejects.toThrow(expected);
      expect(() => model.predict([[1, 2]] as never)).toThrow(expected);
    } finally {
      tf.registerBackend('cpu', () => new MathBackendCPU(), 1);
      await tf.setBackend('cpu');
    }
  });
});
