import { isMetricResolver, registry, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../index.js';
import type { Metric, MetricResolver } from '@strata/core';
import { mean, near, scalarOf } from '../test-reference-math.js';
import { Accuracy } from './accuracy.js';
import { BinaryAccuracy } from './binary-accuracy.js';
import { BinaryCrossentropy } from './binary-crossentropy.js';
import { CategoricalAccuracy } from './categorical-accuracy.js';
import { CategoricalCrossentropy } from './categorical-crossentropy.js';
import { MeanAbsoluteError } from './mean-absolute-error.js';
import { MeanSquaredError } from './mean-squared-error.js';
import { SparseCategoricalAccuracy } from './sparse-categorical-accuracy.js';
import { SparseCategoricalCrossentropy } from './sparse-categorical-crossentropy.js';
import { SparseTopKCategoricalAccuracy } from './sparse-top-k-categorical-accuracy.js';
import { TopKCategoricalAccuracy } from './top-k-categorical-accuracy.js';

function update(m: Metric, t: number[] | number[][], p: number[] | number[][], w?: number[]) {
  tf.tidy(() => m.updateState(tf.tensor(t), tf.tensor(p), w ? tf.tensor1d(w) : undefined));
}

describe('accuracy metrics', () => {
  it('BinaryAccuracy thresholds predictions and averages over batches by sample', () => {
    const m = new BinaryAccuracy();
    update(m, [[1], [0], [1], [0]], [[0.7], [0.2], [0.4], [0.6]]); // 2 of 4
    update(m, [1, 1], [[0.9], [0.51]]); // 2 of 2
    near(scalarOf(m.result()), 4 / 6);
    const t = new BinaryAccuracy({ threshold: 0.65 });
    update(t, [[1], [0], [1], [0]], [[0.7], [0.2], [0.4], [0.6]], [1, 2, 3, 4]);
    // hits: sample 0 (w1), 1 (w2), 3 (w4); sample 2 misses.
    near(scalarOf(t.result()), 7 / 10);
  });

  it('BinaryAccuracy and Accuracy count each sample of rank-1 targets over uneven batches (Keras 3.15: 2 of 4)', () => {
    const before = tf.memory().numTensors;
    const m = new BinaryAccuracy();
    update(m, [1, 0, 1], [0.9, 0.8, 0.7]); // hits: 0.9 and 0.7
    update(m, [1], [0.1]); // miss
    near(scalarOf(m.result()), 2 / 4);
    const w = new BinaryAccuracy();
    update(w, [1, 0, 1], [0.9, 0.8, 0.7], [1, 2, 3]);
    update(w, [1], [0.1], [4]);
    near(scalarOf(w.result()), (1 + 3) / (1 + 2 + 3 + 4));
    const a = new Accuracy();
    update(a, [1, 2, 3], [1, 0, 3]);
    update(a, [4], [0]);
    near(scalarOf(a.result()), 2 / 4);
    expect(tf.memory().numTensors - before).toBe(3 * 2); // each metric's total and count only
  });

  it('CategoricalAccuracy compares arg maxes, weighted', () => {
    const m = new CategoricalAccuracy();
    update(
      m,
      [
        [0, 0, 1],
        [0, 1, 0],
        [1, 0, 0],
      ],
      [
        [0.1, 0.2, 0.7],
        [0.6, 0.3, 0.1],
        [0.5, 0.4, 0.1],
      ],
      [1, 3, 1],
    );
    near(scalarOf(m.result()), 2 / 5);
  });

  it('SparseCategoricalAccuracy takes [batch] and [batch, 1] ids', () => {
    const m = new SparseCategoricalAccuracy();
    update(
      m,
      [2, 0, 0],
      [
        [0.1, 0.2, 0.7],
        [0.6, 0.3, 0.1],
        [0.1, 0.8, 0.1],
      ],
    );
    update(m, [[1]], [[0.1, 0.8, 0.1]]);
    near(scalarOf(m.result()), 3 / 4);
  });

  it('Accuracy counts exact matches', () => {
    const m = new Accuracy();
    update(m, [[1], [2], [3], [4]], [[0], [2], [3], [4]]);
    near(scalarOf(m.result()), 0.75);
  });

  it('TopK accuracies count ties at the boundary as hits', () => {
    const preds = [
      [0.1, 0.5, 0.2, 0.2],
      [0.4, 0.3, 0.2, 0.1],
      [0.3, 0.3, 0.3, 0.1],
    ];
    const sparse = new SparseTopKCategoricalAccuracy({ k: 2 });
    update(sparse, [2, 2, 2], preds); // hit (tie), miss, hit (three-way tie)
    near(scalarOf(sparse.result()), 2 / 3);
    const dense = new TopKCategoricalAccuracy({ k: 1 });
    update(
      dense,
      [
        [0, 1, 0, 0],
        [0, 1, 0, 0],
        [1, 0, 0, 0],
      ],
      preds,
    );
    near(scalarOf(dense.result()), 2 / 3);
    const sorted = new SparseTopKCategoricalAccuracy({ k: 2, fromSortedIds: true });
    update(
      sorted,
      [2, 0, 3],
      [
        [1, 2, 0],
        [1, 2, 0],
        [0, 1, 3],
      ],
    );
    near(scalarOf(sorted.result()), 1 / 3);
  });

  it('fails with both shapes on mismatched inputs', () => {
    expect(() => update(new CategoricalAccuracy(), [[0, 1]], [[0.2, 0.3, 0.5]])).toThrow(ValueError);
    expect(() => update(new BinaryAccuracy(), [[0, 1, 1]], [[0.2, 0.3]])).toThrow(
      /y_true\.shape=\(1, 3\), y_pred\.shape=\(1, 2\)/,
    );
    expect(() => update(new SparseCategoricalAccuracy(), [1, 2, 0], [[0.2, 0.8]])).toThrow(
      /y_true\.shape=\(3,\), y_pred\.shape=\(1, 2\)/,
    );
  });
});

describe("shape-based resolution of 'accuracy' and 'crossentropy'", () => {
  const resolve = (name: string, yTrueShape: number[], yPredShape: number[]): Metric => {
    const value = registry.get<MetricResolver>('metric', name);
    expect(isMetricResolver(value)).toBe(true);
    return value.resolveMetric({ name, yTrueShape, yPredShape });
  };

  it('picks binary, sparse categorical or categorical accuracy as Keras 3 does', () => {
    expect(resolve('accuracy', [32, 1], [32, 1])).toBeInstanceOf(BinaryAccuracy);
    expect(resolve('accuracy', [32], [32, 1])).toBeInstanceOf(BinaryAccuracy);
    expect(resolve('accuracy', [32], [32, 10])).toBeInstanceOf(SparseCategoricalAccuracy);
    expect(resolve('accuracy', [32, 1], [32, 10])).toBeInstanceOf(SparseCategoricalAccuracy);
    expect(resolve('accuracy', [32, 10], [32, 10])).toBeInstanceOf(CategoricalAccuracy);
    expect(resolve('acc', [32, 10], [32, 10])).toBeInstanceOf(CategoricalAccuracy);
  });

  it('keeps the name the user wrote as the log key', () => {
    expect(resolve('accuracy', [8], [8, 3]).name).toBe('accuracy');
    expect(resolve('acc', [8, 1], [8, 1]).name).toBe('acc');
    expect(resolve('ce', [8, 3], [8, 3]).name).toBe('ce');
  });

  it('picks the crossentropy variant the same way', () => {
    expect(resolve('crossentropy', [4, 1], [4, 1])).toBeInstanceOf(BinaryCrossentropy);
    expect(resolve('crossentropy', [4], [4, 5])).toBeInstanceOf(SparseCategoricalCrossentropy);
    expect(resolve('ce', [4, 5], [4, 5])).toBeInstanceOf(CategoricalCrossentropy);
  });

  it('resolved metrics compute the right accuracy on each kind of target', () => {
    const preds = [
      [0.1, 0.7, 0.2],
      [0.5, 0.3, 0.2],
      [0.2, 0.2, 0.6],
    ];
    const sparse = resolve('accuracy', [3], [3, 3]);
    update(sparse, [1, 2, 2], preds);
    near(scalarOf(sparse.result()), 2 / 3);
    const cat = resolve('accuracy', [3, 3], [3, 3]);
    update(
      cat,
      [
        [0, 1, 0],
        [1, 0, 0],
        [1, 0, 0],
      ],
      preds,
    );
    near(scalarOf(cat.result()), 2 / 3);
    const bin = resolve('accuracy', [3], [3, 1]);
    update(bin, [1, 0, 0], [[0.9], [0.4], [0.8]]);
    near(scalarOf(bin.result()), 2 / 3);
  });

  it("lets loss ids serve as metrics ('mse', 'mae') and metric classes take the written name", () => {
    const Mse = registry.get<new (a: object) => Metric>('metric', 'mse');
    expect(Mse).toBe(MeanSquaredError);
    expect(registry.get('metric', 'mae')).toBe(MeanAbsoluteError);
    const m = new Mse({ name: 'mse' });
    expect(m.name).toBe('mse');
    update(m, [[1, 2]], [[2, 4]]);
    near(scalarOf(m.result()), mean([1, 4]));
    expect(registry.get('metric', 'Accuracy')).toBe(Accuracy);
  });
});
