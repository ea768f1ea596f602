/**
 * Parity with @tensorflow/tfjs-layers where its semantics match Keras 3 (stateless functions on one batch;
 * tfjs-layers has no stateful metrics to compare accumulation with).
 */
import { seededRandom } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, it } from 'vitest';

import { losses, metrics } from '../src/index.js';
import { near, scalarOf, valuesOf } from '../src/test-reference-math.js';

function randomBatch(seed: number, n: number, k: number) {
  const r = seededRandom(seed);
  const probs = Array.from({ length: n }, () => {
    const row = Array.from({ length: k }, () => 0.05 + r());
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / s);
  });
  const ids = Array.from({ length: n }, () => Math.floor(r() * k));
  const oneHot = ids.map((c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0)));
  const binary = Array.from({ length: n }, () => [r() < 0.5 ? 1 : 0]);
  const binaryP = Array.from({ length: n }, () => [0.02 + 0.96 * r()]);
  return { probs, ids, oneHot, binary, binaryP };
}

describe('parity with @tensorflow/tfjs-layers', () => {
  const { probs, ids, oneHot, binary, binaryP } = randomBatch(42, 16, 5);

  it('per-sample losses agree: crossentropies, MSE, MAE, MAPE', () => {
    const pairs: [
      tf.Tensor,
      tf.Tensor,
      (t: tf.Tensor, p: tf.Tensor) => tf.Tensor,
      (t: tf.Tensor, p: tf.Tensor) => tf.Tensor,
    ][] = [
      [
        tf.tensor2d(oneHot),
        tf.tensor2d(probs),
        losses.categoricalCrossentropy,
        tfl.metrics.categoricalCrossentropy,
      ],
      [tf.tensor2d(binary), tf.tensor2d(binaryP), losses.binaryCrossentropy, tfl.metrics.binaryCrossentropy],
      [tf.tensor2d(oneHot), tf.tensor2d(probs), losses.meanSquaredError, tfl.metrics.meanSquaredError],
      [tf.tensor2d(oneHot), tf.tensor2d(probs), losses.meanAbsoluteError, tfl.metrics.meanAbsoluteError],
      [tf.tensor2d(probs), tf.tensor2d(oneHot), losses.meanAbsolutePercentageError, tfl.metrics.MAPE],
    ];
    for (const [t, p, ours, theirs] of pairs) {
      near(valuesOf(ours(t, p)), valuesOf(theirs(t, p)), 1e-5);
      tf.dispose([t, p]);
    }
  });

  it('sparse categorical accuracy agrees with tfjs-layers on integer ids', () => {
    const t = tf.tensor1d(ids);
    const p = tf.tensor2d(probs);
    const m = new metrics.SparseCategoricalAccuracy();
    m.updateState(t, p);
    near(scalarOf(m.result()), scalarOf(tf.mean(tfl.metrics.sparseCategoricalAccuracy(t, p))));
    tf.dispose([t, p]);
  });

  it('batch accuracies, precision and recall agree', () => {
    const t = tf.tensor2d(oneHot);
    const p = tf.tensor2d(probs);
    const acc = new metrics.CategoricalAccuracy();
    acc.updateState(t, p);
    near(scalarOf(acc.result()), scalarOf(tf.mean(tfl.metrics.categoricalAccuracy(t, p))));
    const bt = tf.tensor2d(binary);
    const bp = tf.tensor2d(binaryP);
    const bacc = new metrics.BinaryAccuracy();
    bacc.updateState(bt, bp);
    near(scalarOf(bacc.result()), scalarOf(tf.mean(tfl.metrics.binaryAccuracy(bt, bp))));
    const precision = new metrics.Precision();
    const recall = new metrics.Recall();
    precision.updateState(bt, bp);
    recall.updateState(bt, bp);
    near(scalarOf(precision.result()), scalarOf(tfl.metrics.precision(bt, tf.round(bp))));
    near(scalarOf(recall.result()), scalarOf(tfl.metrics.recall(bt, tf.round(bp))));
    tf.dispose([t, p, bt, bp]);
  });
});
