/**
 * Training past one machine (issue 22, part 2), with real Keras in the repository's venv. Off by default;
 * runs with STRATA_INTEROP=1. Strata trains a functional model with BatchNormalization and Dropout and
 * saves `.keras`; Keras 3 on JAX loads it, trains it under `keras.distribution.DataParallel` over two CPU
 * devices and saves `.keras`; Strata loads that file, predicts as Keras does, and its next training step
 * from Keras's optimizer state gives Keras's weights. The recipe is docs/scaling.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { input, Model } from '@strata/core';
import { loadModel } from '@strata/io';
import { BatchNormalization, Dense, Dropout } from '@strata/layers';
import '@strata/losses-metrics';
import { Adam } from '@strata/optimizers';
import '@strata/backends/cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { PYTHON, pythonCanImport, pythonEnv } from '../../io/interop/python.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const enabled = pythonCanImport(['keras', 'jax', 'h5py']);

// Made by the test itself, so a skipped run leaves no folder behind.
let dir = '';
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface KerasReport {
  devices: string[];
  variables_checked: number;
  batch_per_device: number[];
  from_strata: { iterations: number; optimizer: Record<string, number[]> };
  trained_steps: number;
  loss: number[];
  iterations_saved: number;
  predictions: number[];
  resumed_from: number;
  after_step: Record<string, number[]>;
  iterations_after_step: number;
}

/** A [rows, cols] tensor of a fixed function of the index, and the same values for Python. */
function fixed(rows: number, cols: number, f: (i: number) => number): { t: tf.Tensor2D; json: object } {
  const values = Array.from({ length: rows * cols }, (_, i) => f(i));
  return { t: tf.tensor2d(values, [rows, cols]), json: { shape: [rows, cols], values } };
}

function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const worst = Math.max(...Array.from(actual, (v, i) => Math.abs(v - expected[i])));
  expect(worst, what).toBeLessThan(1e-5);
}

describe.skipIf(!enabled)('training past one machine: Keras 3 DataParallel and back', () => {
  it('Keras trains a Strata model over two devices; Strata predicts and resumes as Keras does', async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'strata-distributed-interop-'));
    const x0 = fixed(8, 4, (i) => Math.sin(0.5 * i + 1));
    const y0 = fixed(8, 2, (i) => Math.cos(0.3 * i));
    const x = fixed(6, 4, (i) => Math.cos(0.7 * i) - 0.2);
    const xb = fixed(8, 4, (i) => Math.sin(1.3 * i) * 0.8);
    const yb = fixed(8, 2, (i) => 0.5 - Math.sin(0.9 * i));
    writeFileSync(join(dir, 'data.json'), JSON.stringify({ x: x.json, xb: xb.json, yb: yb.json }));

    const inp = input({ shape: [4], name: 'features' });
    const hidden = new Dense({ units: 8, activation: 'relu' }).apply(inp);
    const normed = new BatchNormalization().apply(hidden);
    const dropped = new Dropout({ rate: 0.25 }).apply(normed);
    const out = new Dense({ units: 2 }).apply(dropped);
    const model = new Model({ inputs: inp, outputs: out });
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
    await model.trainOnBatch(x0.t, y0.t);
    await model.trainOnBatch(x0.t, y0.t);
    const ourState = new Map(model.optimizer!.variables.map((v) => [v.path, Array.from(v.value.dataSync())]));
    await model.save(join(dir, 'strata.keras'));

    execFileSync(PYTHON, [join(here, 'distributed_train.py'), dir], { env: pythonEnv, stdio: 'pipe' });
    const keras = JSON.parse(readFileSync(join(dir, 'keras.json'), 'utf8')) as KerasReport;

    // Keras ran on two devices, with every variable and each batch laid out over both.
    expect(keras.devices).toHaveLength(2);
    expect(keras.batch_per_device).toEqual([4, 4]);
    // The model's weights, Dropout's seed-generator state (a Keras variable) and the optimizer's state.
    expect(keras.variables_checked).toBe(model.weights.length + 1 + model.optimizer!.variables.length);
    // Keras read Strata's optimizer state: the iteration count and every slot, under the same paths.
    expect(keras.from_strata.iterations).toBe(2);
    expect(Object.keys(keras.from_strata.optimizer).sort()).toEqual([...ourState.keys()].sort());
    for (const [path, values] of ourState) expectClose(values, keras.from_strata.optimizer[path], path);
    expect(keras.loss.every(Number.isFinite)).toBe(true);
    expect(keras.iterations_saved).toBe(2 + keras.trained_steps);

    const before = tf.memory().numTensors;
    const trained = await loadModel(join(dir, 'keras.keras'));
    expect(trained.optimizer!.step).toBe(keras.iterations_saved);
    const predicted = trained.predict(x.t) as tf.Tensor;
    expectClose(predicted.dataSync(), keras.predictions, 'predictions');

    // Dropout's mask comes from each framework's own random generator; Keras's step ran with rate 0.
    for (const layer of trained.layers) if (layer instanceof Dropout) (layer as { rate: number }).rate = 0;
    expect(keras.resumed_from).toBe(keras.iterations_saved);
    await trained.trainOnBatch(xb.t, yb.t);
    expect(trained.optimizer!.step).toBe(keras.iterations_after_step);
    const paths = trained.weights.map((w) => w.path);
    expect(paths.sort()).toEqual(Object.keys(keras.after_step).sort());
    for (const w of trained.weights) expectClose(w.value.dataSync(), keras.after_step[w.path], w.path);

    predicted.dispose();
    trained.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x0.t, y0.t, x.t, xb.t, yb.t]);
    model.dispose();
  }, 300_000); // JAX compiles each step for two devices: seconds alone, a minute on a loaded machine.
});
