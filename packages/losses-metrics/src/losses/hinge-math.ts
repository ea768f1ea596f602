/** Hinge losses as plain functions (Keras's `hinge`, `squared_hinge`, `categorical_hinge`). */
import * as tf from '@tensorflow/tfjs-core';

import { assertSameShape } from './target-checks.js';

function floats(yTrue: tf.Tensor, yPred: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return [
    yTrue.dtype === 'float32' ? yTrue : tf.cast(yTrue, 'float32'),
    yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32'),
  ];
}

/**
 * Maps {0, 1} labels to {-1, 1} when every label is 0 or 1, and leaves them as they are otherwise. The
 * decision is made on the device (a select on an `all` reduction), so no label is read back.
 */
export function convertBinaryLabelsToHinge(yTrue: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const isBinary = tf.all(tf.logicalOr(tf.equal(yTrue, 0), tf.equal(yTrue, 1)));
    const converted = tf.sub(tf.mul(yTrue, 2), 1);
    return tf.where(tf.broadcastTo(isBinary, yTrue.shape), converted, yTrue);
  });
}

/** `mean(maximum(1 - yTrue * yPred, 0), axis=-1)`, with binary labels mapped to -1/1. */
export function hinge(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  assertSameShape('hinge', yTrue, yPred);
  return tf.tidy(() => {
    const [yt0, yp] = floats(yTrue, yPred);
    const yt = convertBinaryLabelsToHinge(yt0);
    return tf.mean(tf.relu(tf.sub(1, tf.mul(yt, yp))), -1);
  });
}

/** `mean(square(maximum(1 - yTrue * yPred, 0)), axis=-1)`, with binary labels mapped to -1/1. */
export function squaredHinge(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  assertSameShape('squared_hinge', yTrue, yPred);
  return tf.tidy(() => {
    const [yt0, yp] = floats(yTrue, yPred);
    const yt = convertBinaryLabelsToHinge(yt0);
    return tf.mean(tf.square(tf.relu(tf.sub(1, tf.mul(yt, yp)))), -1);
  });
}

/** `maximum(neg - pos + 1, 0)` with `pos = sum(yTrue * yPred)` and `neg = max((1 - yTrue) * yPred)`. */
export function categoricalHinge(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  assertSameShape('categorical_hinge', yTrue, yPred);
  return tf.tidy(() => {
    const [yt, yp] = floats(yTrue, yPred);
    const pos = tf.sum(tf.mul(yt, yp), -1);
    const neg = tf.max(tf.mul(tf.sub(1, yt), yp), -1);
    return tf.relu(tf.add(tf.sub(neg, pos), 1));
  });
}
