/** Kullback-Leibler divergence and Poisson loss as plain functions (Keras's `kl_divergence`, `poisson`). */
import * as tf from '@tensorflow/tfjs-core';

import { assertSameShape, EPSILON } from './target-checks.js';

function floats(yTrue: tf.Tensor, yPred: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return [
    yTrue.dtype === 'float32' ? yTrue : tf.cast(yTrue, 'float32'),
    yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32'),
  ];
}

/** `sum(yTrue * log(yTrue / yPred), axis=-1)`, both clipped to [eps, 1]. */
export function klDivergence(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  assertSameShape('kl_divergence', yTrue, yPred);
  return tf.tidy(() => {
    let [yt, yp] = floats(yTrue, yPred);
    yt = tf.clipByValue(yt, EPSILON, 1);
    yp = tf.clipByValue(yp, EPSILON, 1);
    return tf.sum(tf.mul(yt, tf.log(tf.div(yt, yp))), -1);
  });
}

/** `mean(yPred - yTrue * log(yPred + eps), axis=-1)`. */
export function poisson(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  assertSameShape('poisson', yTrue, yPred);
  return tf.tidy(() => {
    const [yt, yp] = floats(yTrue, yPred);
    return tf.mean(tf.sub(yp, tf.mul(yt, tf.log(tf.add(yp, EPSILON)))), -1);
  });
}
