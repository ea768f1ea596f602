// Trains the same MLP on MNIST twice from the same weights: once with `fit`, once with the hand-written loop
// of src/loop.ts, and prints both test accuracies.
import { getBackend, setBackend } from '@strata/backends';
import { Sequential } from '@strata/core';
import { mnist } from '@strata/datasets';
import { Dense, GlorotUniform } from '@strata/layers';
import { losses, metrics } from '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { accuracy, trainByHand } from './loop.js';

const TRAIN = 10_000;
const TEST = 2_000;
const EPOCHS = 3;
const BATCH = 64;

await setBackend('auto');
console.log(`backend: ${getBackend()}`);

const [[xAll, yAll], [xTestAll, yTestAll]] = await mnist.loadData({ dtype: 'float32' });
const [xTrain, yTrain, xTest, yTest] = tf.tidy(() => [
  tf.div(xAll.slice(0, TRAIN).reshape([TRAIN, 784]), 255),
  yAll.slice(0, TRAIN),
  tf.div(xTestAll.slice(0, TEST).reshape([TEST, 784]), 255),
  yTestAll.slice(0, TEST),
]);
tf.dispose([xAll, yAll, xTestAll, yTestAll]);

function mlp(): Sequential {
  return new Sequential([
    new Dense({
      units: 64,
      activation: 'relu',
      inputShape: [784],
      kernelInitializer: new GlorotUniform({ seed: 1 }),
    }),
    new Dense({ units: 10, kernelInitializer: new GlorotUniform({ seed: 2 }) }),
  ]);
}

const withFit = mlp();
withFit.build([null, 784]);
withFit.compile({
  optimizer: new SGD({ learningRate: 0.3 }),
  loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }),
  metrics: ['sparse_categorical_accuracy'],
});
// The loop starts from fit's initial weights (copied before fit trains them).
const initial = withFit.getWeights().map((w) => w.clone());
await withFit.fit(xTrain, yTrain, { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0 });

const byHand = mlp();
byHand.build([null, 784]);
byHand.setWeights(initial);
tf.dispose(initial);
trainByHand(byHand, xTrain, yTrain, {
  optimizer: new SGD({ learningRate: 0.3 }),
  loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }),
  metric: new metrics.SparseCategoricalAccuracy(),
  epochs: EPOCHS,
  batchSize: BATCH,
  onEpochEnd: (epoch, logs) =>
    console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, accuracy ${logs.metric.toFixed(4)}`),
});

const fitAcc = tf.tidy(() => accuracy(withFit.predict(xTest) as tf.Tensor, yTest));
const loopAcc = tf.tidy(() => accuracy(byHand.predict(xTest) as tf.Tensor, yTest));
console.log(`test accuracy: fit ${fitAcc.toFixed(4)}, hand-written loop ${loopAcc.toFixed(4)}`);
console.log(`difference: ${(Math.abs(fitAcc - loopAcc) * 100).toFixed(2)} points`);
tf.dispose([xTrain, yTrain, xTest, yTest]);
