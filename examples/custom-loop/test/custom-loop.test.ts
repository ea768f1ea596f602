/**
 * The hand-written training loop of src/loop.ts (Keras's guide "Writing a training loop from scratch", issue 18)
 * on MNIST from @strata/datasets: from the same weights, data and batch order it must report `fit`'s accuracy
 * each epoch and reach `fit`'s test accuracy within 0.5 points, and it must not grow the tensor count.
 */
import { Sequential } from '@strata/core';
import { mnist } from '@strata/datasets';
import { Dense, GlorotUniform } from '@strata/layers';
import { losses, metrics } from '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import { accuracy, type LoopOptions, trainByHand, trainStep } from '../src/loop.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TRAIN = 1024;
const TEST = 512;
const BATCH = 64;
const EPOCHS = 3;

// Seeded, so that the run (and the sanity floor on fit's accuracy below) does not depend on the draw.
function mlp(): Sequential {
  return new Sequential([
    new Dense({
      units: 32,
      activation: 'relu',
      inputShape: [784],
      kernelInitializer: new GlorotUniform({ seed: 1 }),
    }),
    new Dense({ units: 10, kernelInitializer: new GlorotUniform({ seed: 2 }) }),
  ]);
}

test('a hand-written loop on MNIST matches fit within 0.5 accuracy points', async () => {
  const [[xTrainAll, yTrainAll], [xTestAll, yTestAll]] = await mnist.loadData({ dtype: 'float32' });
  const [xTrain, yTrain, xTest, yTest]: tf.Tensor[] = tf.tidy(() => [
    tf.div(xTrainAll.slice(0, TRAIN).reshape([TRAIN, 784]), 255),
    yTrainAll.slice(0, TRAIN),
    tf.div(xTestAll.slice(0, TEST).reshape([TEST, 784]), 255),
    yTestAll.slice(0, TEST),
  ]);
  tf.dispose([xTrainAll, yTrainAll, xTestAll, yTestAll]);

  const reference = mlp();
  reference.compile({
    optimizer: new SGD({ learningRate: 0.3 }),
    loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ['sparse_categorical_accuracy'],
  });
  const model = mlp();
  tf.tidy(() => model.apply(xTrain.slice(0, 1)));
  reference.build([null, 784]);
  reference.setWeights(model.getWeights());
  const history = await reference.fit(xTrain, yTrain, {
    epochs: EPOCHS,
    batchSize: BATCH,
    shuffle: false,
    verbose: 0,
  });

  const options: LoopOptions = {
    optimizer: new SGD({ learningRate: 0.3 }),
    loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    metric: new metrics.SparseCategoricalAccuracy(),
    epochs: EPOCHS,
    batchSize: BATCH,
  };
  const epochLosses: number[] = [];
  const before = tf.memory().numTensors;
  const epochAccuracy = trainByHand(model, xTrain, yTrain, {
    ...options,
    onEpochEnd: (_, logs) => epochLosses.push(logs.loss),
  });
  const steady = tf.memory().numTensors;

  // The loop's running accuracy and mean loss are fit's.
  epochAccuracy.forEach((a, i) => {
    expect(Math.abs(a - history.history.sparse_categorical_accuracy[i])).toBeLessThan(0.005);
    expect(epochLosses[i]).toBeCloseTo(history.history.loss[i], 3);
  });
  const loopAcc = tf.tidy(() => accuracy(model.predict(xTest) as tf.Tensor, yTest));
  const fitAcc = tf.tidy(() => accuracy(reference.predict(xTest) as tf.Tensor, yTest));
  expect(fitAcc).toBeGreaterThan(0.7);
  expect(Math.abs(loopAcc - fitAcc)).toBeLessThanOrEqual(0.005);

  // Optimizer slots and metric state were created on the first step; a further step adds nothing.
  expect(steady - before).toBeLessThan(10);
  const xb = xTrain.slice(0, BATCH);
  const yb = yTrain.slice(0, BATCH);
  trainStep(model, xb, yb, options).dispose();
  tf.dispose([xb, yb]);
  expect(tf.memory().numTensors).toBe(steady);
  tf.dispose([xTrain, yTrain, xTest, yTest]);
  model.dispose();
  reference.dispose();
});

test('accuracy() counts arg-max hits by hand', () => {
  const logits = tf.tensor2d([
    [0.1, 0.9],
    [0.8, 0.2],
    [0.3, 0.7],
    [0.6, 0.4],
  ]);
  const labels = tf.tensor1d([1, 0, 0, 1]);
  expect(accuracy(logits, labels)).toBe(0.5);
  tf.dispose([logits, labels]);
});
