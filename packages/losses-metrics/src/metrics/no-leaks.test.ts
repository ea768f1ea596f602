import type { Metric } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import * as metrics from './index.js';

/** Every metric with targets/predictions it accepts: [yTrue, yPred] for a batch of 8. */
function cases(): [Metric, tf.Tensor, tf.Tensor][] {
  const bin = tf.tensor2d([[1], [0], [1], [1], [0], [0], [1], [0]]);
  const binP = tf.tensor2d([[0.9], [0.2], [0.4], [0.7], [0.6], [0.1], [0.8], [0.3]]);
  const oneHot = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0, 2, 2, 1], 'int32'), 3);
  const ids = tf.tensor1d([0, 1, 2, 1, 0, 2, 2, 1]);
  const probs = tf.softmax(tf.randomNormal([8, 3], 0, 1, 'float32', 3));
  const reg = tf.randomNormal([8, 2], 0, 1, 'float32', 4);
  const regP = tf.randomNormal([8, 2], 0, 1, 'float32', 5);
  return [
    [new metrics.Accuracy(), oneHot, oneHot],
    [new metrics.BinaryAccuracy(), bin, binP],
    [new metrics.CategoricalAccuracy(), oneHot, probs],
    [new metrics.SparseCategoricalAccuracy(), ids, probs],
    [new metrics.TopKCategoricalAccuracy({ k: 2 }), oneHot, probs],
    [new metrics.SparseTopKCategoricalAccuracy({ k: 2 }), ids, probs],
    [new metrics.MeanSquaredError(), reg, regP],
    [new metrics.MeanAbsoluteError(), reg, regP],
    [new metrics.RootMeanSquaredError(), reg, regP],
    [new metrics.MeanAbsolutePercentageError(), reg, regP],
    [new metrics.MeanSquaredLogarithmicError(), reg, regP],
    [new metrics.LogCoshError(), reg, regP],
    [new metrics.CosineSimilarity(), reg, regP],
    [new metrics.R2Score(), reg, regP],
    [new metrics.BinaryCrossentropy(), bin, binP],
    [new metrics.CategoricalCrossentropy(), oneHot, probs],
    [new metrics.SparseCategoricalCrossentropy(), ids, probs],
    [new metrics.KLDivergence(), probs, probs],
    [new metrics.Poisson(), probs, probs],
    [new metrics.Hinge(), bin, binP],
    [new metrics.SquaredHinge(), bin, binP],
    [new metrics.CategoricalHinge(), oneHot, probs],
    [new metrics.TruePositives(), bin, binP],
    [new metrics.FalsePositives({ thresholds: [0.3, 0.6] }), bin, binP],
    [new metrics.TrueNegatives(), bin, binP],
    [new metrics.FalseNegatives(), bin, binP],
    [new metrics.Precision({ topK: 1 }), oneHot, probs],
    [new metrics.Recall({ classId: 1 }), oneHot, probs],
    [new metrics.AUC(), bin, binP],
    [new metrics.AUC({ multiLabel: true, curve: 'PR' }), oneHot, probs],
    [new metrics.F1Score({ average: 'macro' }), oneHot, probs],
    [new metrics.FBetaScore({ beta: 2, threshold: 0.3 }), oneHot, probs],
  ];
}

describe('metric state', () => {
  it('100 updateState calls of every metric leave no extra tensors, and result() returns one', async () => {
    const all = cases();
    const weights = tf.ones([8]);
    // The first update builds lazily created state (R2Score, F1, multi-label AUC).
    for (const [m, t, p] of all) m.updateState(t, p);
    await expectNoLeakedTensors(() => {
      for (let i = 0; i < 100; i++) for (const [m, t, p] of all) m.updateState(t, p, i % 2 ? weights : null);
    });
    for (const [m] of all) {
      const r = await expectNoLeakedTensors(() => m.result());
      expect(r).toBeInstanceOf(tf.Tensor);
      expect(Array.from(r.dataSync()).every(Number.isFinite)).toBe(true);
      r.dispose();
      m.resetState();
      m.dispose();
    }
    weights.dispose();
  });
});
