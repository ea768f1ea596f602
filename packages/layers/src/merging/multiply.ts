import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/**
 * Multiplies the inputs elementwise. Inputs: a list of tensors whose shapes broadcast together; output: their broadcast shape.
 *
 * Keras: `keras.layers.Multiply`
 *
 * @example
 * ```ts
 * new Multiply().apply([tf.ones([2, 3]), tf.ones([2, 3])]);
 * ```
 */
export class Multiply extends Merge {
  static override className = 'Multiply';

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    return inputs.slice(1).reduce((acc, x) => tf.mul(acc, x), inputs[0]);
  }
}

register('layer', 'Multiply', Multiply);
