/**
 * The CNN on the cpu backend per CPU-second, for a machine shared with other work:
 * `tsx cnn-cpu.ts [rounds]` runs, per round, a `fit` of 3 steps at batch 128 and a `predict` of 1,024
 * test digits (batch 1,024), after one warm-up of each, and prints samples per CPU-second
 * (`process.cpuUsage`, user + system: the CPU this process got) and per wall second, then the medians.
 * `EVAL=1` also evaluates the fixture convnet `mnist-cnn-seq.keras` on the 10,000 test digits
 * (batches of 1,000), as bench/README.md's finding 11 times it, twice: the first call pays fresh
 * pages for every layer output of a 1,000-digit batch (the rounds above use other sizes), the second
 * reuses them (`output-pool.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from './backend.js';
import { loadDigits } from './data.js';

await useBackend('strata', 'cpu');
const { buildStrata } = await import('./models.js');

const rounds = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU seconds and wall seconds of `run`. */
async function measure(run: () => Promise<unknown> | unknown): Promise<{ cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t0) / 1e3 };
}

const train = loadDigits('train', 128 * 3);
const x = tf.tensor(train.images, [train.n, 28, 28, 1]);
const y = tf.tensor1d(train.labels, 'int32');
const test = loadDigits('test', 1024);
const xTest = tf.tensor(test.images, [test.n, 28, 28, 1]);
const model = buildStrata('cnn');
const fit = () => model.fit(x, y, { batchSize: 128, epochs: 1, verbose: 0, shuffle: false });
const predict = () => {
  const p = model.predict(xTest, { batchSize: 1024 }) as tf.Tensor;
  p.dataSync();
  p.dispose();
};
await fit();
predict();
const fits: number[] = [];
const predicts: number[] = [];
for (let r = 0; r < rounds; r++) {
  const f = await measure(fit);
  const p = await measure(predict);
  fits.push(train.n / f.cpu);
  predicts.push(1024 / p.cpu);
  console.log(
    `round ${r}: fit ${(train.n / f.cpu).toFixed(1)} samples/CPU-s (${(train.n / f.wall).toFixed(1)} wall), ` +
      `predict ${(1024 / p.cpu).toFixed(1)} samples/CPU-s (${(1024 / p.wall).toFixed(1)} wall)`,
  );
}
if (rounds > 0) {
  console.log(
    `median: fit ${median(fits).toFixed(1)}, predict ${median(predicts).toFixed(1)} samples per CPU-second; tensors ${tf.memory().numTensors}`,
  );
}

if (process.env.EVAL === '1') {
  const { loadModel } = await import('../../packages/io/src/index.js');
  const { join } = await import('node:path');
  const fixture = join(import.meta.dirname, '../../packages/io/test/fixtures/mnist-cnn-seq.keras');
  const net = await loadModel(fixture);
  const all = loadDigits('test', 10000);
  const images = tf.tensor(all.images, [all.n, 28, 28, 1]);
  const labels = tf.tensor1d(all.labels, 'int32');
  net.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  for (const call of ['first', 'second']) {
    let result: unknown;
    const e = await measure(async () => {
      result = await net.evaluate(images, labels, { batchSize: 1000, verbose: 0 });
    });
    console.log(
      `evaluate mnist-cnn-seq.keras on 10,000 digits (${call} call): ${e.cpu.toFixed(1)} s CPU, ${e.wall.toFixed(1)} s wall, ${JSON.stringify(result)}`,
    );
  }
}
