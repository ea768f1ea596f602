import * as tf from '@tensorflow/tfjs-core';

/**
 * `(x - mean) / sqrt(variance + epsilon) * scale + offset`, leaving out a missing scale or offset: Keras's
 * `ops.batch_normalization`, written out with ops whose gradients tfjs gets right for any broadcast shape
 * (its fused batchNorm mis-shapes keep-dims statistics). Every tensor broadcasts against `x`; used by
 * BatchNormalization and LayerNormalization.
 */
export function normalizeWithMoments(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  offset: tf.Tensor | null | undefined,
  scale: tf.Tensor | null | undefined,
  epsilon: number,
): tf.Tensor {
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  if (scale) y = tf.mul(y, scale);
  if (offset) y = tf.add(y, offset);
  return y;
}
