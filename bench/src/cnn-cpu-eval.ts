/**
 * The fixture convnet's evaluation on the cpu backend, alone: `tsx cnn-cpu-eval.ts [calls]` loads
 * `mnist-cnn-seq.keras`, evaluates it on the 10,000 test digits (batches of 1,000) `calls` times (1 by
 * default) and prints each call's CPU seconds (`process.cpuUsage`, user + system: the CPU this process
 * got), wall seconds, the load average at its start and end, and the result. It only needs
 * `@strata/backends/cpu`, `@strata/io` and the bench's digits, so the same file runs in a checkout of an
 * older commit, which is how bench/README.md's before/after evaluation rows are taken (A/B alternating).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from './backend.js';
import { loadDigits } from './data.js';

await useBackend('strata', 'cpu');
await import('@strata/layers');
await import('@strata/losses-metrics');
await import('@strata/optimizers');
const { loadModel } = await import('../../packages/io/src/index.js');

const calls = Number(process.argv[2] ?? 1);
const fixture = join(import.meta.dirname, '../../packages/io/test/fixtures/mnist-cnn-seq.keras');
const net = await loadModel(fixture);
const all = loadDigits('test', 10000);
const images = tf.tensor(all.images, [all.n, 28, 28, 1]);
const labels = tf.tensor1d(all.labels, 'int32');
const load = () => loadavg()[0].toFixed(2);
for (let call = 0; call < calls; call++) {
  const loadBefore = load();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await net.evaluate(images, labels, { batchSize: 1000, verbose: 0 });
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1e3;
  console.log(
    `evaluate call ${call}: ${((c.user + c.system) / 1e6).toFixed(2)} s CPU, ${wall.toFixed(2)} s wall, ` +
      `load ${loadBefore} -> ${load()}, ${JSON.stringify(result)}`,
  );
}
