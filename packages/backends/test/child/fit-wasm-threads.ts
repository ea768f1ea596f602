/**
 * A training script run by plain `node` (wasm-threaded-kernels.test.ts): fits a model on the wasm backend
 * with 2 threads (Strata's kernels on worker_threads) and returns without `process.exit`; the test checks
 * that the process ends by itself.
 */
import { Sequential } from '@strata/core';
import { Dense, Flatten } from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';

import { setBackend } from '../../src/index.js';
import { activeThreadPool } from '../../src/kernels/wasm/threaded/kernels.js';
import { setWasmThreads } from '../../src/wasm.js';

setWasmThreads(2);
await setBackend('wasm');
const model = new Sequential([
  new Flatten({ inputShape: [6, 6] }),
  new Dense({ units: 16, activation: 'relu' }),
  new Dense({ units: 4, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
const x = tf.randomUniform([64, 6, 6]);
const y = tf.tensor1d(
  Array.from({ length: 64 }, (_, i) => i % 4),
  'int32',
);
const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
console.log(JSON.stringify({ loss: history.history.loss, threads: activeThreadPool()?.threads }));
