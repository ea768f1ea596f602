/**
 * Regression losses as plain functions (Keras's `keras.losses.mean_squared_error` and friends). Each takes
 * `yTrue` and `yPred` of one shape (a trailing axis of 1 on either side is reconciled first) and returns the
 * per-sample values, averaged over the last axis.
 */
import { squeezeOrExpandToSameRank } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { assertSameShape, EPSILON, normalizeAxis } from './target-checks.js';

function prepare(what: string, yTrue: tf.Tensor, yPred: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const yp = yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32');
  const yt0 = yTrue.dtype === 'float32' ? yTrue : tf.cast(yTrue, 'float32');
  const [yt, p] = squeezeOrExpandToSameRank(yt0, yp);
  assertSameShape(what, yt, p);
  return [yt, p];
}

/** `mean(square(yTrue - yPred), axis=-1)`. */
export function meanSquaredError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = prepare('mean_squared_error', yTrue, yPred);
    return tf.mean(tf.squaredDifference(yt, yp), -1);
  });
}

/** `mean(abs(yTrue - yPred), axis=-1)`. */
export function meanAbsoluteError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = prepare('mean_absolute_error', yTrue, yPred);
    return tf.mean(tf.abs(tf.sub(yt, yp)), -1);
  });
}

/** `100 * mean(abs((yTrue - yPred) / max(abs(yTrue), eps)), axis=-1)`. */
export function meanAbsolutePercentageError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = prepare('mean_absolute_percentage_error', yTrue, yPred);
    const diff = tf.abs(tf.div(tf.sub(yt, yp), tf.maximum(tf.abs(yt), EPSILON)));
    return tf.mul(tf.mean(diff, -1), 100);
  });
}

/** `mean(square(log(max(yPred, eps) + 1) - log(max(yTrue, eps) + 1)), axis=-1)`. */
export function meanSquaredLogarithmicError(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = prepare('mean_squared_logarithmic_error', yTrue, yPred);
    const first = tf.log1p(tf.maximum(yp, EPSILON));
    const second = tf.log1p(tf.maximum(yt, EPSILON));
    return tf.mean(tf.squaredDifference(first, second), -1);
  });
}

/**
 * Huber loss: quadratic for errors up to `delta`, linear beyond; averaged over the last axis.
 *
 * Written as `0.5 * q^2 + delta * (|x| - q)` with `q = min(|x|, delta)`, which equals Keras's
 * `where(|x| <= delta, 0.5 * x^2, delta * |x| - 0.5 * delta^2)` on both branches. A `where` on
 * `lessEqual(|x|, delta)` puts LessEqual on the gradient tape, and tfjs has no gradient for it, so a model
 * compiled with `loss: 'huber'` could not train; Minimum and Abs have gradients (at `|x| == delta` Minimum
 * passes the gradient to `|x|`, giving the quadratic branch's slope, as Keras's `<=` does).
 */
export function huber(yTrue: tf.Tensor, yPred: tf.Tensor, delta = 1): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = prepare('huber', yTrue, yPred);
    const absError = tf.abs(tf.sub(yp, yt));
    const quadraticPart = tf.minimum(absError, delta);
    const linearPart = tf.sub(absError, quadraticPart);
    return tf.mean(tf.add(tf.mul(tf.square(quadraticPart), 0.5), tf.mul(linearPart, delta)), -1);
  });
}

/** `mean(log(cosh(yPred - yTrue)), axis=-1)`, computed as `x + softplus(-2x) - log(2)` to stay finite. */
export function logCosh(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = prepare('log_cosh', yTrue, yPred);
    const x = tf.sub(yp, yt);
    return tf.mean(tf.sub(tf.add(x, tf.softplus(tf.mul(x, -2))), Math.LN2), -1);
  });
}

/** Keras's L2 `normalize`: `x * min(rsqrt(sum(x^2)), 1/eps)`, so a zero vector stays zero. */
export function l2Normalize(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => {
    const inv = tf.minimum(tf.rsqrt(tf.sum(tf.square(x), axis, true)), 1 / EPSILON);
    return tf.mul(x, inv);
  });
}

/** The cosine similarity of `yTrue` and `yPred` along `axis` (positive: 1 means same direction). */
export function cosineSimilarityValue(yTrue: tf.Tensor, yPred: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const [yt, yp] = prepare('cosine_similarity', yTrue, yPred);
    const ax = normalizeAxis('cosine_similarity', axis, yp.rank);
    return tf.sum(tf.mul(l2Normalize(yt, ax), l2Normalize(yp, ax)), ax);
  });
}

/** The cosine similarity loss: the negated similarity, so that minimizing it aligns the vectors. */
export function cosineSimilarity(yTrue: tf.Tensor, yPred: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => tf.neg(cosineSimilarityValue(yTrue, yPred, axis)));
}
