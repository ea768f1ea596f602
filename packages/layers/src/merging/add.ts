import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/**
 * Adds the inputs elementwise. Inputs: a list of tensors whose shapes broadcast together; output: their broadcast shape.
 *
 * Keras: `keras.layers.Add`
 *
 * @example
 * ```ts
 * new Add().apply([tf.ones([2, 3]), tf.ones([2, 3])]);
 * ```
 */
export class Add extends Merge {
  static override className = 'Add';

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    return inputs.slice(1).reduce((acc, x) => tf.add(acc, x), inputs[0]);
  }
}

register('layer', 'Add', Add);
