import { type LossIds, type MetricIds, registry, ValueError } from '@strata/core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import '../index.js';
import { SparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';
import { labelRangeIsChecked, validateSparseLabels } from './sparse-labels.js';

// The ids below must type-check: they come from this package's declaration merging into @strata/core.
const typedIds: (keyof LossIds | keyof MetricIds)[] = [
  'mse',
  'categoricalCrossentropy',
  'accuracy',
  'auc',
  'f1_score',
];

/** A backend running the CPU kernels under another name: described as a device backend, it stands in for a GPU. */
const FAKE_GPU = 'fake-gpu-for-tests';

const labels = () => tf.tensor1d([1, 7]);
const probabilities = () =>
  tf.tensor2d([
    [0.2, 0.5, 0.3],
    [0.3, 0.3, 0.4],
  ]);

describe('out-of-range class ids on a device-memory backend', () => {
  beforeAll(async () => {
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: FAKE_GPU });
    tf.registerBackend(FAKE_GPU, () => new MathBackendCPU());
    await tf.setBackend(FAKE_GPU);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
    tf.removeBackend(FAKE_GPU);
    if (registry.has('backend', FAKE_GPU)) registry.unregister('backend', FAKE_GPU);
  });

  it('a backend no plug-in describes gets the range check, and leaves no tensor behind', () => {
    expect(labelRangeIsChecked()).toBe(true);
    const t = labels();
    const p = probabilities();
    const before = tf.memory().numTensors;
    const loss = new SparseCategoricalCrossentropy();
    expect(() => loss.apply(t, p)).toThrow(ValueError);
    expect(() => loss.apply(t, p)).toThrow(/class id of 7 \(at flat index 1\)/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([t, p]);
  });

  it('adds no host read where the description says device memory: the loss becomes NaN, the explicit check still reports it', () => {
    expect(typedIds.length).toBe(5);
    registry.register('backend', FAKE_GPU, { name: FAKE_GPU, priority: 0, init: async () => {} });
    expect(labelRangeIsChecked()).toBe(false);
    const t = labels();
    const p = probabilities();
    const none = new SparseCategoricalCrossentropy({ reduction: 'none' });
    const values = none.apply(t, p);
    const [first, second] = Array.from(values.dataSync());
    expect(first).toBeCloseTo(-Math.log(0.5), 6);
    expect(Number.isNaN(second)).toBe(true);
    expect(() => validateSparseLabels('sparse_categorical_crossentropy', t, p)).toThrow(/class id of 7/);
    tf.dispose([t, p, values]);
  });
});
