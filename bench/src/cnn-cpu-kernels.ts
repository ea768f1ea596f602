/**
 * The CNN's forward kernels on the cpu backend, one at a time, in CPU milliseconds:
 * `tsx cnn-cpu-kernels.ts [batch] [repeats] [names]` runs each kernel of the bench CNN and of the fixture
 * convnet `mnist-cnn-seq.keras` (conv1, pool1, conv2, pool2 and the fixture's Dense of 128) on random
 * inputs of their shapes at `batch` (1,000 by default), twice to warm up, then `repeats` times (5), and
 * prints the least and the median CPU time (`process.cpuUsage`: the CPU this process got, so figures hold
 * on a shared machine). `names` (comma-separated) picks some. The outputs are disposed unread: a read
 * pins their arrays (`output-pool.ts`), and every later call would pay fresh pages.
 */
import * as tf from '@tensorflow/tfjs-core';

import { useBackend } from './backend.js';

await useBackend('strata', 'cpu');
const batch = Number(process.argv[2] ?? 1000);
const repeats = Number(process.argv[3] ?? 5);
const only = process.argv[4]?.split(',');

const random = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', 7);
const conv = (x: number[], filter: number[]) => {
  const [input, weights, bias] = [random(x), random(filter), random([filter[3]])];
  return () =>
    tf.fused.conv2d({
      x: input as tf.Tensor4D,
      filter: weights as tf.Tensor4D,
      bias,
      activation: 'relu',
      strides: 1,
      pad: 'valid',
    });
};
// MaxPool follows a relu in both convnets: its inputs are >= 0.
const pool = (x: number[]) => {
  const input = tf.relu(random(x)) as tf.Tensor4D;
  return () => tf.maxPool(input, 2, 2, 'valid');
};
const dense = (depth: number, units: number) => {
  const [a, b, bias] = [random([batch, depth]), random([depth, units]), random([units])];
  return () => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' });
};
const kernels: Record<string, () => () => tf.Tensor> = {
  conv1: () => conv([batch, 28, 28, 1], [3, 3, 1, 32]),
  pool1: () => pool([batch, 26, 26, 32]),
  conv2: () => conv([batch, 13, 13, 32], [3, 3, 32, 64]),
  pool2: () => pool([batch, 11, 11, 64]),
  dense: () => dense(1600, 128),
};

const cpuMs = (run: () => void) => {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e3;
};
for (const [name, make] of Object.entries(kernels)) {
  if (only && !only.includes(name)) continue;
  const kernel = make();
  const once = () => kernel().dispose();
  once();
  once();
  const times = Array.from({ length: repeats }, () => cpuMs(once)).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(5)} batch ${batch}: least ${times[0].toFixed(1)} ms CPU, median ${times[Math.floor(repeats / 2)].toFixed(1)}`,
  );
}
