import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/**
 * Averages the inputs elementwise. Inputs: a list of tensors whose shapes broadcast together; output: their broadcast shape.
 *
 * Keras: `keras.layers.Average`
 *
 * @example
 * ```ts
 * new Average().apply([tf.ones([2, 3]), tf.ones([2, 3])]);
 * ```
 */
export class Average extends Merge {
  static override className = 'Average';

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    return tf.div(
      inputs.slice(1).reduce((acc, x) => tf.add(acc, x), inputs[0]),
      inputs.length,
    );
  }
}

register('layer', 'Average', Average);
