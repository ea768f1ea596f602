// The `.keras` and `.h5` fixtures that load in Strata, exported and run in onnxruntime-node: the committed
// ones (packages/io/test/fixtures) and, where present, the shared third-party ones (STRATA_SHARED_FIXTURES
// or ../shared/fixtures/keras). A committed fixture the exporter refuses fails the test; a shared one is
// reported.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { type Model, ValueError } from '@strata/core';
import '@strata/layers';
import { loadModel } from '@strata/io';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/index.js';
import { mnistTestSet } from '../../io/test/mnist-idx.js';
import { toOnnx } from '../src/index.js';
import { expectOnnxMatchesPredict } from './onnx-runtime.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const COMMITTED = path.resolve(here, '../../io/test/fixtures');
const SHARED = process.env.STRATA_SHARED_FIXTURES ?? path.resolve(here, '../../../../shared/fixtures/keras');

function modelFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(keras|h5)$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The inputs Keras ran a committed fixture on, from the JSON file beside it (`inputs: { shape, values }`). */
function recordedInputs(model: Model, file: string): tf.Tensor[] | null {
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
function sampleInputs(model: Model): tf.Tensor[] {
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

const files = [...modelFiles(COMMITTED), ...modelFiles(SHARED)];

describe('Keras fixtures: ONNX export matches predict', () => {
  it.each(files.map((f) => [path.relative(path.resolve(here, '../../..'), f), f]))(
    '%s',
    async (_name, file) => {
      let model: Model;
      try {
        model = await loadModel(file, { warn: () => {} });
      } catch (e) {
        console.log(
          `${path.basename(file)}: does not load in Strata (${(e as Error).message.split('\n')[0]}); skipped`,
        );
        return;
      }
      let bytes: Uint8Array;
      try {
        bytes = toOnnx(model);
      } catch (e) {
        // Every committed fixture exports; a shared third-party one may hold a layer ONNX cannot express.
        if (file.startsWith(COMMITTED)) throw e;
        expect(e).toBeInstanceOf(ValueError);
        expect((e as Error).message).toMatch(/cannot be expressed/);
        const layers = (e as Error).message
          .split('\n')
          .slice(1)
          .map((l) => l.trim());
        console.log(`${path.basename(file)}: unsupported: ${layers.join('; ')}`);
        return;
      }
      expect(bytes.length).toBeGreaterThan(0);
      const xs = recordedInputs(model, file) ?? sampleInputs(model);
      try {
        const worst = await expectOnnxMatchesPredict(model, xs);
        console.log(
          `${path.basename(file)}: exported, largest difference from predict ${worst.toExponential(2)}`,
        );
      } finally {
        tf.dispose(xs);
      }
    },
  );
});
