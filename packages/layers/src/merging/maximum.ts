import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/**
 * Takes the elementwise maximum of the inputs. Inputs: a list of tensors whose shapes broadcast together; output: their broadcast shape.
 *
 * Keras: `keras.layers.Maximum`
 *
 * @example
 * ```ts
 * new Maximum().apply([tf.ones([2, 3]), tf.ones([2, 3])]);
 * ```
 */
export class Maximum extends Merge {
  static override className = 'Maximum';

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    return inputs.slice(1).reduce((acc, x) => tf.maximum(acc, x), inputs[0]);
  }
}

register('layer', 'Maximum', Maximum);
