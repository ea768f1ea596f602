/** Overlap losses for segmentation as plain functions (Keras's `dice`, `tversky`). */
import * as tf from '@tensorflow/tfjs-core';

import { assertSameShape, EPSILON } from './target-checks.js';

function floats(yTrue: tf.Tensor, yPred: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return [
    yTrue.dtype === 'float32' ? yTrue : tf.cast(yTrue, 'float32'),
    yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32'),
  ];
}

/**
 * `1 - 2*sum(yTrue*yPred) / (sum(yTrue) + sum(yPred) + eps)` over `axis` (all axes when null, giving one
 * value for the batch, as in Keras).
 */
export function dice(yTrue: tf.Tensor, yPred: tf.Tensor, axis: number | number[] | null = null): tf.Tensor {
  assertSameShape('dice', yTrue, yPred);
  return tf.tidy(() => {
    const [yt, yp] = floats(yTrue, yPred);
    const ax = axis ?? undefined;
    const intersection = tf.sum(tf.mul(yt, yp), ax);
    const denom = tf.add(tf.add(tf.sum(yt, ax), tf.sum(yp, ax)), EPSILON);
    return tf.sub(1, tf.div(tf.mul(intersection, 2), denom));
  });
}

/**
 * `1 - TP / (TP + alpha*FP + beta*FN + eps)` over `axis` (all axes when null), with soft counts
 * `TP = sum(yTrue*yPred)`, `FP = sum((1 - yPred)*yTrue)`, `FN = sum(yPred*(1 - yTrue))` as Keras defines them.
 */
export function tversky(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  alpha = 0.5,
  beta = 0.5,
  axis: number | number[] | null = null,
): tf.Tensor {
  assertSameShape('tversky', yTrue, yPred);
  return tf.tidy(() => {
    const [yt, yp] = floats(yTrue, yPred);
    const ax = axis ?? undefined;
    const tp = tf.sum(tf.mul(yt, yp), ax);
    const fp = tf.sum(tf.mul(tf.sub(1, yp), yt), ax);
    const fn = tf.sum(tf.mul(yp, tf.sub(1, yt)), ax);
    const denom = tf.add(tf.add(tf.add(tp, tf.mul(fp, alpha)), tf.mul(fn, beta)), EPSILON);
    return tf.sub(1, tf.div(tp, denom));
  });
}
