import type { LossIds, MetricIds } from '@strata/core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import '../index.js';
import { SparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';
import { labelsAreCheapToRead, validateSparseLabels } from './sparse-labels.js';

// The ids below must type-check: they come from this package's declaration merging into @strata/core.
const typedIds: (keyof LossIds | keyof MetricIds)[] = [
  'mse',
  'categoricalCrossentropy',
  'accuracy',
  'auc',
  'f1_score',
];

/** A backend whose name is not a host-memory one, running the CPU kernels: stands in for a GPU backend. */
const FAKE_GPU = 'fake-gpu-for-tests';

describe('out-of-range class ids on a device-memory backend', () => {
  beforeAll(async () => {
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: FAKE_GPU });
    tf.registerBackend(FAKE_GPU, () => new MathBackendCPU());
    await tf.setBackend(FAKE_GPU);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
    tf.removeBackend(FAKE_GPU);
  });

  it('adds no host read: the loss becomes NaN instead, and the explicit check still reports it', () => {
    expect(typedIds.length).toBe(5);
    expect(labelsAreCheapToRead()).toBe(false);
    const t = tf.tensor1d([1, 7]);
    const p = tf.tensor2d([
      [0.2, 0.5, 0.3],
      [0.3, 0.3, 0.4],
    ]);
    const none = new SparseCategoricalCrossentropy({ reduction: 'none' });
    const values = none.apply(t, p);
    const [first, second] = Array.from(values.dataSync());
    expect(first).toBeCloseTo(-Math.log(0.5), 6);
    expect(Number.isNaN(second)).toBe(true);
    expect(() => validateSparseLabels('sparse_categorical_crossentropy', t, p)).toThrow(/class id of 7/);
    tf.dispose([t, p, values]);
  });
});
