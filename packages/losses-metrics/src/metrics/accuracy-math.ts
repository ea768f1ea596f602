/**
 * Accuracy functions (Keras's `keras.metrics.binary_accuracy` and friends): per-sample 1 for a hit and 0 for
 * a miss, which the accuracy metrics average with `Mean`.
 */
import { formatShape, squeezeOrExpandToSameRank, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { assertSameShape, assertSparseShapes } from '../losses/target-checks.js';

function toFloat(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/**
 * Exact equality of targets and predictions, per element (as Keras 3: no mean over the last axis, so `Mean`
 * counts every sample of rank-1 targets instead of one per batch).
 */
export function accuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = squeezeOrExpandToSameRank(toFloat(yTrue), toFloat(yPred));
    assertSameShape('accuracy', yt, yp);
    return tf.cast(tf.equal(yt, yp), 'float32');
  });
}

/** Whether `yPred > threshold` matches the 0/1 targets, per element (Keras 3 takes no mean over the last axis). */
export function binaryAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor, threshold = 0.5): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = squeezeOrExpandToSameRank(toFloat(yTrue), toFloat(yPred));
    assertSameShape('binary_accuracy', yt, yp);
    const predicted = tf.cast(tf.greater(yp, threshold), 'float32');
    return tf.cast(tf.equal(yt, predicted), 'float32');
  });
}

/** Whether the arg max of the one-hot targets equals the arg max of the predictions, per sample. */
export function categoricalAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  assertSameShape('categorical_accuracy', yTrue, yPred);
  return tf.tidy(() => tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)), 'float32'));
}

/** Drops a trailing axis of 1 from integer targets that have the predictions' rank. */
function squeezeSparseTargets(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === 1 ? tf.squeeze(yTrue, [-1]) : yTrue;
}

/** Whether the integer class id in `yTrue` equals the arg max of the predictions, per sample. */
export function sparseCategoricalAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const yt = squeezeSparseTargets(yTrue, yPred);
    assertSparseShapes('sparse_categorical_accuracy', yt, yPred);
    return tf.cast(tf.equal(toFloat(yt), toFloat(tf.argMax(yPred, -1))), 'float32');
  });
}

/**
 * Whether class `targets` (int ids, shape `[n]`) is among the `k` largest of `predictions` (`[n, classes]`).
 * Ties at the boundary count as in the top k, as `tf.math.in_top_k` does; computed on the device by counting
 * the classes scored strictly higher than the target.
 */
export function inTopK(targets: tf.Tensor, predictions: tf.Tensor, k: number): tf.Tensor {
  return tf.tidy(() => {
    const numClasses = predictions.shape[predictions.rank - 1];
    const ids = tf.cast(targets, 'int32');
    const oneHot = tf.cast(tf.oneHot(ids, numClasses), 'float32');
    const p = toFloat(predictions);
    const targetScore = tf.sum(tf.mul(p, oneHot), -1, true);
    const higher = tf.sum(tf.cast(tf.greater(p, targetScore), 'float32'), -1);
    const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numClasses));
    return tf.logicalAnd(valid, tf.less(higher, k));
  });
}

function checkK(what: string, k: number): void {
  if (!Number.isInteger(k) || k < 1)
    throw new ValueError(`In ${what}, \`k\` must be an integer >= 1. Received: k=${k}`);
}

/** Whether the target class (arg max of the one-hot targets) is among the `k` top predictions, per sample. */
export function topKCategoricalAccuracy(yTrue: tf.Tensor, yPred: tf.Tensor, k = 5): tf.Tensor {
  checkK('top_k_categorical_accuracy', k);
  assertSameShape('top_k_categorical_accuracy', yTrue, yPred);
  return tf.tidy(() => {
    const numClasses = yPred.shape[yPred.rank - 1];
    const targets = tf.reshape(tf.argMax(yTrue, -1), [-1]);
    const matches = inTopK(targets, tf.reshape(yPred, [-1, numClasses]), k);
    return tf.reshape(tf.cast(matches, 'float32'), yPred.shape.slice(0, -1));
  });
}

/**
 * Whether the integer target class is among the `k` top predictions, per sample. With `fromSortedIds`,
 * `yPred` already holds class ids sorted by score (`[batch, >= k]`) rather than scores.
 */
export function sparseTopKCategoricalAccuracy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  k = 5,
  fromSortedIds = false,
): tf.Tensor {
  const what = 'sparse_top_k_categorical_accuracy';
  checkK(what, k);
  return tf.tidy(() => {
    const yt = squeezeSparseTargets(yTrue, yPred);
    assertSparseShapes(what, yt, yPred);
    const outShape = yPred.shape.slice(0, -1);
    const last = yPred.shape[yPred.rank - 1];
    if (fromSortedIds) {
      if (last < k) {
        throw new ValueError(
          `In ${what} with from_sorted_ids, \`y_pred\` must hold at least k=${k} ids per sample. ` +
            `Received: y_pred.shape=${formatShape(yPred.shape)}`,
        );
      }
      const topIds = tf.slice(tf.reshape(toFloat(yPred), [-1, last]), [0, 0], [-1, k]);
      const hit = tf.any(tf.equal(topIds, tf.reshape(toFloat(yt), [-1, 1])), -1);
      return tf.reshape(tf.cast(hit, 'float32'), outShape);
    }
    const matches = inTopK(tf.reshape(yt, [-1]), tf.reshape(yPred, [-1, last]), k);
    return tf.reshape(tf.cast(matches, 'float32'), outShape);
  });
}
