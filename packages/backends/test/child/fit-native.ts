/**
 * A training script run by plain `node` (native-step.test.ts): fits a model on the native backend with the
 * compiled step and returns without `process.exit`; the test checks that the process ends by itself.
 */
import { Sequential } from '@strata/core';
import { Dense, Flatten } from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';

import { setBackend } from '../../src/index.js';
import { sessionCount } from '../../src/kernels/native/ort.js';

await setBackend('native');
const model = new Sequential([
  new Flatten({ inputShape: [6, 6] }),
  new Dense({ units: 16, activation: 'relu' }),
  new Dense({ units: 4, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', jitCompile: true });
const x = tf.randomUniform([64, 6, 6]);
const y = tf.tensor1d(
  Array.from({ length: 64 }, (_, i) => i % 4),
  'int32',
);
const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
console.log(JSON.stringify({ loss: history.history.loss, sessions: sessionCount() }));
