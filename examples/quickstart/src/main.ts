// The README's quick start: build, train, evaluate, save and reload a small classifier.

import { Sequential } from '@strata/core';
import { Dense, Dropout } from '@strata/layers';
import { Adam } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import '@strata/losses-metrics';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getBackend, setBackend } from '@strata/backends';
import { EarlyStopping } from '@strata/callbacks';
import { loadModel } from '@strata/io';

await setBackend('auto');
console.log(`backend: ${getBackend()}`);

// Ten Gaussian blobs in 100 dimensions: a task a small MLP learns in a few epochs.
const n = 2000;
const labels = tf.randomUniform([n], 0, 10, 'int32', 7) as tf.Tensor1D;
const centers = tf.randomNormal([10, 100], 0, 1, 'float32', 3);
const x = tf.tidy(() => tf.add(tf.gather(centers, labels), tf.randomNormal([n, 100], 0, 0.8, 'float32', 5)));
const y = tf.oneHot(labels, 10);

const model = new Sequential([
  new Dense({ units: 64, activation: 'relu', inputShape: [100] }),
  new Dropout({ rate: 0.5 }),
  new Dense({ units: 10, activation: 'softmax' }),
]);
model.compile({
  optimizer: new Adam({ learningRate: 1e-3 }),
  loss: 'categorical_crossentropy',
  metrics: ['accuracy'],
});
model.summary();
const history = await model.fit(x, y, {
  epochs: 10,
  batchSize: 32,
  validationSplit: 0.2,
  callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true })],
});
console.log(`val_loss by epoch: ${history.history.val_loss.map((v) => v.toFixed(4)).join(' ')}`);
const [loss, acc] = (await model.evaluate(x, y, { verbose: 0 })) as number[];
console.log(`evaluate: loss ${loss.toFixed(4)}, accuracy ${acc.toFixed(4)}`);

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strata-')), 'model.keras');
await model.save(file);
const again = await loadModel(file);
// A Sequential model's predict returns one tensor; a loaded model may have several outputs.
const a = model.predict(x.slice(0, 5));
const b = again.predict(x.slice(0, 5)) as tf.Tensor;
console.log(
  `saved ${file} (${fs.statSync(file).size} bytes); reloaded predictions equal: ${tf.util.arraysEqual(a.dataSync(), b.dataSync())}`,
);
