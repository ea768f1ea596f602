import { RegistryError, registry } from '@strata/core';
import '@strata/layers';
import '@strata/optimizers';
import '@strata/losses-metrics';
import { createRequire } from 'node:module';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel } from '../src/index.js';
import { ZipArchive } from '../src/keras-zip/zip-reader.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';
import { COMMITTED_FIXTURES, fixtureBytes, fixturePath, mnistAccuracy } from './fixture-helpers.js';
import { mnistDataDir } from './mnist-idx.js';

interface MnistCase {
  file: string;
  shape: number[];
  /** Accuracy on the 10k test set recorded in the fixture manifest (Keras 3.15.1). */
  accuracy: number;
}

/** Every layer class a file's config uses (to tell "not supported yet" from a real failure). */
function layerClasses(bytes: Uint8Array): string[] {
  const text =
    bytes[0] === 0x50
      ? new TextDecoder().decode(ZipArchive.open(bytes, DEFAULT_READ_LIMITS).read('config.json'))
      : new TextDecoder('latin1').decode(bytes);
  return [...new Set([...text.matchAll(/"class_name": ?"(\w+)"/g)].map((m) => m[1]))];
}

const LAYER_LIKE =
  /^(InputLayer|Dense|Conv\d?D|MaxPooling\dD|Flatten|Dropout|BatchNormalization|Normalization|UpSampling\dD|Concatenate|Embedding|LSTM|GRU)$/;

function unsupported(bytes: Uint8Array): string[] {
  return layerClasses(bytes).filter((c) => LAYER_LIKE.test(c) && !registry.has('layer', c));
}

const MNIST: MnistCase[] = [
  { file: 'mnist-mlp-seq.keras', shape: [28, 28], accuracy: 0.9758 },
  { file: 'mnist-cnn-seq.keras', shape: [28, 28, 1], accuracy: 0.9911 },
  { file: 'mnist-cnn-seq-k3.1.keras', shape: [28, 28, 1], accuracy: 0.9918 },
  { file: 'mnist-cnn-batchnorm-seq.keras', shape: [28, 28, 1], accuracy: 0.9919 },
  { file: 'mnist-mlp-seq-keras2.15.keras', shape: [28, 28], accuracy: 0.9771 },
  { file: 'legacy-mnist-cnn-functional-tf2.2.h5', shape: [28, 28, 1], accuracy: 0.9857 },
  { file: 'legacy-mnist-cnn-tf2.8-hdf5.keras', shape: [28, 28, 1], accuracy: 0.9866 },
  { file: 'legacy-mnist-mlp-tf2.10.h5', shape: [784], accuracy: 0.9748 },
];

const haveMnist = mnistDataDir() !== null;

describe('real Keras files', () => {
  // Ten thousand MNIST predictions per file: tfjs's WebAssembly backend does them several times faster
  // than the plain JavaScript one (the numbers checked are the same to float rounding).
  beforeAll(async () => {
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(main.slice(0, main.lastIndexOf('/') + 1));
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of MNIST) {
    const available = fixturePath(c.file) !== null;
    it.skipIf(!available || !haveMnist)(
      `${c.file} loads and reaches its recorded MNIST accuracy`,
      async () => {
        const bytes = fixtureBytes(c.file);
        const missing = unsupported(bytes);
        if (missing.length) {
          // Not supported yet: loading must fail naming the class, never load something wrong.
          await expect(loadModel(bytes, { warn: () => {} })).rejects.toThrow(new RegExp(missing[0]));
          return;
        }
        const before = tf.memory().numTensors;
        const model = await loadModel(bytes, { warn: () => {} });
        const acc = mnistAccuracy(model, c.shape);
        // Same predictions as Keras up to float rounding: at most 2 of 10,000 borderline digits may differ.
        expect(Math.abs(acc - c.accuracy)).toBeLessThanOrEqual(0.0002);
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      },
    );
  }

  it('the committed fixtures are present', () => {
    for (const f of [
      'mnist-mlp-seq.keras',
      'mnist-cnn-seq.keras',
      'mnist-cnn-seq-k3.1.keras',
      'tabular-regression-mlp.keras',
    ]) {
      expect(fixturePath(f)?.startsWith(COMMITTED_FIXTURES)).toBe(true);
    }
  });

  it('tabular-regression-mlp.keras matches the reference vector to 1e-5', async () => {
    const model = await loadModel(fixtureBytes('tabular-regression-mlp.keras'), { warn: () => {} });
    const x = tf.tensor2d([
      [0.94, 0.9285714, 0.75, 0.875, 0.8571429, 0.9134616, 1],
      [0.68, 0.5357143, 0.75, 0.75, 0.8571429, 0.6634616, 1],
      [0.52, 0.4285714, 0.5, 0.5, 0.5714286, 0.3846154, 1],
    ]);
    const y = (model as unknown as { predict(x: tf.Tensor): tf.Tensor }).predict(x);
    const got = Array.from(y.dataSync());
    const expected = [0.9490582, 0.7871683, 0.668791];
    for (const [i, v] of got.entries()) expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, y]);
    model.dispose();
  });

  it.skipIf(fixturePath('functional-two-input-regression.keras') === null)(
    'functional-two-input-regression.keras (two inputs, Normalization) matches its reference vector to 1e-5',
    async () => {
      const bytes = fixtureBytes('functional-two-input-regression.keras');
      const missing = unsupported(bytes);
      if (missing.length) {
        await expect(loadModel(bytes, { warn: () => {} })).rejects.toThrow(RegistryError);
        return;
      }
      const model = await loadModel(bytes, { warn: () => {} });
      const rows = [
        [1.6812, 25.0, 4.192200557103064, 1.0222841225626742, 1392.0, 3.8774373259052926, 36.06, -119.01],
        [2.5313, 30.0, 5.039383561643835, 1.1934931506849316, 1565.0, 2.6797945205479454, 35.14, -119.46],
        [3.4801, 52.0, 3.977154724818276, 1.185877466251298, 1310.0, 1.3603322949117342, 37.8, -122.44],
      ];
      const wide = tf.tensor2d(rows.map((r) => r.slice(0, 5)));
      const deep = tf.tensor2d(rows.map((r) => r.slice(2, 8)));
      const y = (model as unknown as { predict(x: tf.Tensor[]): tf.Tensor }).predict([wide, deep]);
      const expected = [0.36719245, 1.3876952, 3.5953512];
      for (const [i, v] of Array.from(y.dataSync()).entries()) {
        expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[i])));
      }
      tf.dispose([wide, deep, y]);
      model.dispose();
    },
  );

  it.skipIf(fixturePath('embedding-lstm-seq.keras') === null)(
    'embedding-lstm-seq.keras loads or names what it lacks',
    async () => {
      const bytes = fixtureBytes('embedding-lstm-seq.keras');
      const missing = unsupported(bytes);
      if (missing.length) {
        await expect(loadModel(bytes, { warn: () => {} })).rejects.toThrow(new RegExp(missing[0]));
        return;
      }
      // 4,447 recurrent steps. Measured on a loaded 2-core machine: 215 s for one sequence on stock
      // tfjs-wasm, about 9 s on cpu; so this file runs on cpu, both sequences in one batch.
      await tf.setBackend('cpu');
      try {
        const model = await loadModel(bytes, { warn: () => {} });
        const ids = tf.tensor2d(
          [new Array(4447).fill(0), [5, 17, 123, 999, 1, ...new Array(4442).fill(0)]],
          [2, 4447],
          'int32',
        );
        const y = (model as unknown as { predict(x: tf.Tensor): tf.Tensor }).predict(ids);
        const [a, b] = y.dataSync();
        expect(Math.abs(a - 0.0715252)).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(b - 0.0508098)).toBeLessThanOrEqual(1e-5);
        tf.dispose([ids, y]);
        model.dispose();
      } finally {
        await tf.setBackend('wasm');
      }
    },
  );

  it.skipIf(fixturePath('mnist-conv-autoencoder-functional.keras') === null || !haveMnist)(
    'mnist-conv-autoencoder-functional.keras reconstructs clean test digits with the recorded MSE',
    async () => {
      const bytes = fixtureBytes('mnist-conv-autoencoder-functional.keras');
      const missing = unsupported(bytes);
      if (missing.length) {
        await expect(loadModel(bytes, { warn: () => {} })).rejects.toThrow(new RegExp(missing[0]));
        return;
      }
      const { mnistTestSet } = await import('./mnist-idx.js');
      const set = mnistTestSet()!;
      const model = await loadModel(bytes, { warn: () => {} });
      const mse = tf.tidy(() => {
        const x = tf.div(tf.tensor(set.images.subarray(0, 2000 * 784), [2000, 28, 28, 1], 'float32'), 255);
        const y = (model as unknown as { predict(x: tf.Tensor, a: object): tf.Tensor }).predict(x, {
          batchSize: 500,
        });
        return tf.mean(tf.square(tf.sub(y, x))).dataSync()[0];
      });
      // The manifest records 0.0054 (four decimals) on 2,000 test images.
      expect(Math.abs(mse - 0.0054)).toBeLessThanOrEqual(0.00005);
      model.dispose();
    },
  );
});
