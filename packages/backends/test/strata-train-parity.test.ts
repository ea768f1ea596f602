/**
 * The same networks as train-parity.test.ts, built from Strata's own Sequential, layers, optimizer and
 * loss: each trains on cpu and on wasm, loss falls, and both backends agree after 3 steps to 1e-4.
 */

import { Sequential } from '@strata/core';
import { seededValues } from '@strata/core/testing';
import {
  AveragePooling2D,
  BatchNormalization,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Dropout,
  Flatten,
  MaxPooling2D,
} from '@strata/layers';
import '@strata/losses-metrics';
import { SGD } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/cpu.js';
import '../src/wasm.js';
import { sequenceSpecs, trainSequenceSpec } from './sequence-specs.js';

interface Spec {
  name: string;
  xShape: number[];
  classes: number;
  build(): Sequential;
}

const specs: Spec[] = [
  {
    name: 'MLP',
    xShape: [32, 64],
    classes: 10,
    build: () =>
      new Sequential([
        new Dense({ units: 32, activation: 'relu', inputShape: [64] }),
        new Dropout({ rate: 0.25, seed: 1 }),
        new Dense({ units: 10, activation: 'softmax' }),
      ]),
  },
  {
    name: 'MNIST convnet',
    xShape: [8, 28, 28, 1],
    classes: 10,
    build: () =>
      new Sequential([
        new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
        new MaxPooling2D({ poolSize: 2 }),
        new Conv2D({ filters: 64, kernelSize: 3, activation: 'relu' }),
        new MaxPooling2D({ poolSize: 2 }),
        new Flatten(),
        new Dropout({ rate: 0.5, seed: 2 }),
        new Dense({ units: 10, activation: 'softmax' }),
      ]),
  },
  {
    name: 'BatchNormalization + DepthwiseConv2D + AveragePooling2D',
    xShape: [8, 12, 12, 3],
    classes: 4,
    build: () =>
      new Sequential([
        new Conv2D({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [12, 12, 3] }),
        new BatchNormalization(),
        new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
        new AveragePooling2D({ poolSize: 2 }),
        new Flatten(),
        new Dense({ units: 4, activation: 'softmax' }),
      ]),
  },
];

function batch(spec: Spec) {
  const n = spec.xShape[0];
  const x = tf.tensor(
    seededValues(
      spec.xShape.reduce((a, b) => a * b, 1),
      7,
    ),
    spec.xShape,
  );
  const labels = Array.from({ length: n }, (_, i) => (i * 7 + 3) % spec.classes);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), spec.classes), 'float32'));
  return { x, y };
}

/** Builds the model on `backend` with the given starting weights, takes 3 steps; losses before and after each. */
async function train(backend: string, spec: Spec, weights: Float32Array[] | null) {
  await tf.setBackend(backend);
  const model = spec.build();
  model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'categorical_crossentropy' });
  const { x, y } = batch(spec);
  model.predict(x); // builds the weights
  const start = weights ?? model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(start[i], w.shape)));
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let step = 0; step < 3; step++) {
    losses.push(Number(await model.testOnBatch(x, y)));
    await model.trainOnBatch(x, y);
    tensorCounts.push(tf.memory().numTensors);
  }
  // Steps after the first (which creates the optimizer's slots) leave no tensors behind.
  expect(tensorCounts[2]).toBe(tensorCounts[1]);
  losses.push(Number(await model.testOnBatch(x, y)));
  tf.dispose([x, y]);
  return { losses, start };
}

describe('training Strata models on cpu and wasm', () => {
  for (const spec of specs) {
    it(`${spec.name}: loss falls, and cpu and wasm agree after each of 3 steps`, async () => {
      const cpu = await train('cpu', spec, null);
      const wasm = await train('wasm', spec, cpu.start);
      for (const { losses } of [cpu, wasm]) {
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(losses[3]).toBeLessThan(losses[0]);
      }
      for (let i = 0; i < 4; i++) expect(Math.abs(cpu.losses[i] - wasm.losses[i])).toBeLessThan(1e-4);
    });
  }
});

describe('training Strata sequence models on cpu and wasm', () => {
  for (const spec of sequenceSpecs) {
    it(`${spec.name}: loss falls, cpu and wasm agree after each of 3 steps, no tensors left behind`, async () => {
      await tf.setBackend('cpu');
      const cpu = await trainSequenceSpec(spec, null);
      await tf.setBackend('wasm');
      const wasm = await trainSequenceSpec(spec, cpu.start);
      for (const run of [cpu, wasm]) {
        expect(run.losses.every(Number.isFinite)).toBe(true);
        expect(run.losses[3]).toBeLessThan(run.losses[0]);
        expect(run.tensorCounts[1]).toBe(run.tensorCounts[0]);
      }
      for (let i = 0; i < 4; i++) expect(Math.abs(cpu.losses[i] - wasm.losses[i])).toBeLessThan(1e-4);
    });
  }
});
