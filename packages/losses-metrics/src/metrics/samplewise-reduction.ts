import { squeezeOrExpandToSameRank } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

type ReduceFn = (x: tf.Tensor, axis: number[]) => tf.Tensor;

const REDUCERS: Record<'mean' | 'sum', ReduceFn> = {
  mean: (x, axis) => tf.mean(x, axis),
  sum: (x, axis) => tf.sum(x, axis),
};

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * Keras's `reduce_to_samplewise_values`: weights `values` by `sampleWeight` (broadcast to them) and reduces
 * every axis but the first, returning per-sample values and the matching per-sample weights.
 */
export function reduceToSamplewiseValues(
  values: tf.Tensor,
  sampleWeight: tf.Tensor | null,
  reduce: 'mean' | 'sum',
): [tf.Tensor, tf.Tensor | null] {
  const reduceFn = REDUCERS[reduce];
  let v = values.dtype === 'float32' ? values : tf.cast(values, 'float32');
  let sw: tf.Tensor | null = null;
  if (sampleWeight != null) {
    sw = sampleWeight.dtype === 'float32' ? sampleWeight : tf.cast(sampleWeight, 'float32');
    [v, sw] = squeezeOrExpandToSameRank(v, sw);
    const weightRank = sw.rank;
    if (v.rank > weightRank) v = reduceFn(v, range(weightRank, v.rank));
    sw = tf.broadcastTo(sw, v.shape);
    v = tf.mul(v, sw);
    if (weightRank > 1) sw = reduceFn(sw, range(1, weightRank));
  }
  if (v.rank > 1) v = reduceFn(v, range(1, v.rank));
  return [v, sw];
}
