import { type Reduction, squeezeOrExpandToSameRank } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { EPSILON } from './target-checks.js';

/**
 * Keras's `apply_mask`: folds a mask of valid entries into the sample weights. For the mean reductions the
 * valid entries are scaled by `total / valid`, so that the mean is taken over valid entries only.
 */
export function applyMask(
  sampleWeight: tf.Tensor | null,
  mask: tf.Tensor | null,
  reduction: Reduction,
): tf.Tensor | null {
  if (mask == null) return sampleWeight;
  return tf.tidy(() => {
    let m = tf.cast(mask, 'float32');
    if (reduction === 'sum_over_batch_size' || reduction === 'mean') {
      const valid = tf.sum(m);
      m = tf.mul(m, tf.div(m.size, tf.add(valid, EPSILON)));
    }
    if (sampleWeight == null) return m;
    const [mm, sw] = squeezeOrExpandToSameRank(m, tf.cast(sampleWeight, 'float32'));
    return tf.mul(sw, mm);
  });
}
