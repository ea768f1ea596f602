/**
 * A training loop written by hand (Keras's guide "Writing a training loop from scratch"), on MNIST from
 * @strata/datasets (issue 18): `valueAndGrads` for the loss and its gradients with respect to
 * `model.trainableWeights`, `optimizer.applyGradients`, and metrics used by hand (`updateState`, `result`,
 * `resetState`). From the same weights, data and batch order it must reach `fit`'s accuracy within 0.5
 * points.
 */
import { Sequential, valueAndGrads } from '@strata/core';
import { mnist } from '@strata/datasets';
import { Dense, GlorotUniform } from '@strata/layers';
import { losses, metrics } from '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';

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

  const lossFn = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
  const reference = mlp();
  reference.compile({
    optimizer: new SGD({ learningRate: 0.3 }),
    loss: lossFn,
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

  // The loop.
  const optimizer = new SGD({ learningRate: 0.3 });
  const trainAcc = new metrics.SparseCategoricalAccuracy();
  const epochAccuracy: number[] = [];
  const before = tf.memory().numTensors;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    trainAcc.resetState();
    for (let start = 0; start < TRAIN; start += BATCH) {
      tf.tidy(() => {
        const x = xTrain.slice(start, BATCH);
        const y = yTrain.slice(start, BATCH);
        const vars = model.trainableWeights;
        const { grads, aux: logits } = valueAndGrads(() => {
          const out = model.apply(x, { training: true });
          return [lossFn.apply(y, out) as tf.Scalar, out] as const;
        }, vars);
        optimizer.applyGradients(grads.map((g, i) => [g, vars[i]]));
        trainAcc.updateState(y, logits);
      });
    }
    const acc = trainAcc.result();
    epochAccuracy.push(acc.dataSync()[0]);
    acc.dispose();
  }
  // Optimizer slots and metric state were created on the first step; a further epoch adds nothing.
  const steady = tf.memory().numTensors;
  tf.tidy(() => {
    const { grads } = valueAndGrads(
      () => lossFn.apply(yTrain.slice(0, BATCH), model.apply(xTrain.slice(0, BATCH))) as tf.Scalar,
      model.trainableWeights,
    );
    expect(grads.every((g) => g != null)).toBe(true);
  });
  expect(tf.memory().numTensors).toBe(steady);
  expect(steady - before).toBeLessThan(10);

  // The loop's running accuracy is fit's.
  epochAccuracy.forEach((a, i) => {
    expect(Math.abs(a - history.history.sparse_categorical_accuracy[i])).toBeLessThan(0.005);
  });
  const accuracy = (m: Sequential) =>
    tf.tidy(() => {
      const pred = tf.argMax(m.predict(xTest) as tf.Tensor, -1);
      return tf.mean(tf.cast(tf.equal(pred, tf.cast(yTest, 'int32')), 'float32')).dataSync()[0];
    });
  const loopAcc = accuracy(model);
  const fitAcc = accuracy(reference);
  expect(fitAcc).toBeGreaterThan(0.7);
  expect(Math.abs(loopAcc - fitAcc)).toBeLessThanOrEqual(0.005);
  tf.dispose([xTrain, yTrain, xTest, yTest]);
  model.dispose();
  reference.dispose();
});
