import * as tf from '@tensorflow/tfjs-core';
import { test, expect } from 'vitest';
import { Sequential } from '@strata/core';
import { Dense } from '@strata/layers';
import { SGD, Adam } from '@strata/optimizers';
import '@strata/losses-metrics';
import { loadModel } from '@strata/io';
import os from 'node:os';
import path from 'node:path';

test('smoke', async () => {
  const m = new Sequential([new Dense({ units: 3, inputShape: [2], activation: 'tanh' }), new Dense({ units: 1 })]);
  m.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
  const x = tf.randomUniform([16, 2], -1, 1, 'float32', 1);
  const y = tf.sum(x, 1, true);
  const h = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
  console.log(h.history, m.optimizer!.learningRate);
  const p = path.join(os.tmpdir(), 'cb-smoke.keras');
  await m.save(p);
  const m2 = await loadModel(p);
  console.log((m2 as any).predict(x).dataSync().slice(0, 3), (m.predict(x) as tf.Tensor).dataSync().slice(0, 3));
  await m.saveWeights(p.replace('.keras', '.weights.h5'));
  await m.loadWeights(p.replace('.keras', '.weights.h5'));
  console.log(Object.keys(m.optimizer!), m.optimizer!.variables.length);
});
