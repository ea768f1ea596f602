import { type CallKwargs, register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { castToFloat } from '../convolutional/conv-ops.js';
import { BaseGlobalPooling, type BaseGlobalPoolingArgs } from './base-global-pooling.js';

/** Constructor arguments of `GlobalMaxPooling2D`: Keras's arguments of the same names, in camelCase. */
export type GlobalMaxPooling2DArgs = BaseGlobalPoolingArgs;

/**
 * Global maximum pooling (Keras's `GlobalMaxPooling2D`): the maximum over all spatial positions, per channel.
 *
 * Arguments: `dataFormat` ('channels_last'), `keepdims` (false).
 *
 * Input shape: `(batch, rows, cols, channels)` (or `(batch, channels, rows, cols)` for channels_first).
 * Output shape: `(batch, channels)`, or with `keepdims` `(batch, 1, 1, channels)` (channels_first:
 * `(batch, channels, 1, 1)`).
 *
 * Keras: `keras.layers.GlobalMaxPooling2D`
 *
 * @example
 * ```ts
 * new GlobalMaxPooling2D().apply(tf.zeros([2, 4, 5, 3])); // shape [2, 3]
 * ```
 */
export class GlobalMaxPooling2D extends BaseGlobalPooling {
  static override className = 'GlobalMaxPooling2D';

  constructor(args: GlobalMaxPooling2DArgs = {}) {
    super(2, args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.max(castToFloat(x), this.spatialAxes, this.keepdims));
  }
}

register('layer', 'GlobalMaxPooling2D', GlobalMaxPooling2D, { aliases: ['GlobalMaxPool2D'] });
