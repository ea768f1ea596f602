// Small real models for the callback tests: @strata/layers' Dense, @strata/optimizers' SGD/Adam, 'mse'.
import '@strata/losses-metrics';
import '../src/index.js';

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Sequential } from '@strata/core';
import { Dense, initializers } from '@strata/layers';
import { Adam, SGD } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';

export interface SmallModelOptions {
  optimizer?: 'sgd' | 'adam';
  learningRate?: number;
  seed?: number;
  metrics?: string[];
}

/** A 3 -> 4 (tanh) -> 1 regression net with seeded weights, compiled with 'mse'. */
export function smallModel(options: SmallModelOptions = {}): Sequential {
  const seed = options.seed ?? 1;
  const model = new Sequential([
    new Dense({
      units: 4,
      activation: 'tanh',
      inputShape: [3],
      kernelInitializer: new initializers.GlorotUniform({ seed }),
    }),
    new Dense({ units: 1, kernelInitializer: new initializers.GlorotUniform({ seed: seed + 1 }) }),
  ]);
  const lr = options.learningRate ?? 0.05;
  model.compile({
    optimizer: options.optimizer === 'adam' ? new Adam({ learningRate: lr }) : new SGD({ learningRate: lr }),
    loss: 'mse',
    metrics: (options.metrics ?? []) as never,
  });
  return model;
}

/** y = x0 - 2 x1 + 0.5 x2, on seeded uniform inputs. */
export function regressionData(n = 32, seed = 7): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 3], -1, 1, 'float32', seed) as tf.Tensor2D;
    const y = tf.matMul(x, tf.tensor2d([[1], [-2], [0.5]])) as tf.Tensor2D;
    return { x, y };
  });
}

/** Copies of every weight's values, to compare exactly. */
export function weightValues(model: Sequential): number[][] {
  const ws = model.getWeights();
  const out = ws.map((w) => Array.from(w.dataSync()));
  tf.dispose(ws);
  return out;
}

/** Sets every weight to `value` (a marker a test can recognise later). */
export function fillWeights(model: Sequential, value: number): void {
  const ws = model.getWeights();
  const filled = ws.map((w) => tf.fill(w.shape, value));
  model.setWeights(filled);
  tf.dispose([...ws, ...filled]);
}

export function tempDir(prefix = 'strata-callbacks-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
