// The `.keras` and `.h5` fixtures the ONNX suites export, and the inputs each model is run on.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Model } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { mnistTestSet } from '../../io/test/mnist-idx.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository's root, which test names are relative to. */
export const ROOT = path.resolve(here, '../../..');
export const COMMITTED = path.resolve(here, '../../io/test/fixtures');
export const SHARED =
  process.env.STRATA_SHARED_FIXTURES ?? path.resolve(here, '../../../../shared/fixtures/keras');

export function modelFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(keras|h5)$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The inputs Keras ran a committed fixture on, from the JSON file beside it (`inputs: { shape, values }`). */
export function recordedInputs(model: Model, file: string): tf.Tensor[] | null {
  const json = file.replace(/\.keras$/, '.json');
  if (json === file || !fs.existsSync(json)) return null;
  const { inputs } = JSON.parse(fs.readFileSync(json, 'utf8')) as {
    inputs?: { shape: number[]; values: (number | string)[] };
  };
  if (!inputs) return null;
  const dtype = model.inputs[0].dtype === 'string' ? 'string' : model.inputs[0].dtype;
  return [tf.tensor(inputs.values as number[], inputs.shape, dtype)];
}

/**
 * Inputs a model was made for: token ids below the smallest Embedding's inputDim; two MNIST test digits
 * scaled to [0, 1] for a 784-value input (what the MNIST fixtures were trained on); else values in [0, 1).
 */
export function sampleInputs(model: Model): tf.Tensor[] {
  const embeddings = model.layers.filter(
    (l) => (l.constructor as { className?: string }).className === 'Embedding',
  );
  const vocabulary = Math.min(...embeddings.map((l) => (l.getConfig() as { inputDim: number }).inputDim));
  const mnist = mnistTestSet();
  return model.inputs.map((t, i) => {
    // One sequence for the token models: the shared LSTM fixture runs 4,447 steps per sequence in predict.
    const shape = [embeddings.length > 0 ? 1 : 2, ...t.shape.slice(1).map((d) => d ?? 4)];
    if (embeddings.length > 0) return tf.floor(tf.randomUniform(shape, 0, vocabulary, 'float32', 7 + i));
    if (mnist && shape.slice(1).reduce((a, b) => a * b, 1) === 784)
      return tf.tidy(() => tf.div(tf.tensor(mnist.images.slice(0, 2 * 784), shape, 'float32'), 255));
    return tf.randomUniform(shape, 0, 1, 'float32', 7 + i);
  });
}

/** The committed fixtures, then the shared ones. */
export function fixtureFiles(): string[] {
  return [...modelFiles(COMMITTED), ...modelFiles(SHARED)];
}

/** Inputs for a fixture's model: Keras's recorded ones where the fixture has them, else made-up ones. */
export function fixtureInputs(model: Model, file: string): tf.Tensor[] {
  return recordedInputs(model, file) ?? sampleInputs(model);
}
