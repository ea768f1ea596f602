import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/**
 * Takes the elementwise minimum of the inputs. Inputs: a list of tensors whose shapes broadcast together; output: their broadcast shape.
 *
 * Keras: `keras.layers.Minimum`
 *
 * @example
 * ```ts
 * new Minimum().apply([tf.ones([2, 3]), tf.ones([2, 3])]);
 * ```
 */
export class Minimum extends Merge {
  static override className = 'Minimum';

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    return inputs.slice(1).reduce((acc, x) => tf.minimum(acc, x), inputs[0]);
  }
}

register('layer', 'Minimum', Minimum);
