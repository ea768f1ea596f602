import { type CallKwargs, register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { castToFloat } from '../convolutional/conv-ops.js';
import { BaseGlobalPooling, type BaseGlobalPoolingArgs } from './base-global-pooling.js';

/** Constructor arguments of `GlobalMaxPooling1D`: Keras's arguments of the same names, in camelCase. */
export type GlobalMaxPooling1DArgs = BaseGlobalPoolingArgs;

/**
 * Global maximum pooling (Keras's `GlobalMaxPooling1D`): the maximum over all spatial positions, per channel.
 *
 * Arguments: `dataFormat` ('channels_last'), `keepdims` (false).
 *
 * Input shape: `(batch, steps, features)` (or `(batch, features, steps)` for channels_first).
 * Output shape: `(batch, features)`, or with `keepdims` `(batch, 1, features)` (channels_first: `(batch, features, 1)`).
 *
 * Keras: `keras.layers.GlobalMaxPooling1D`
 *
 * @example
 * ```ts
 * new GlobalMaxPooling1D().apply(tf.zeros([2, 3, 4])); // shape [2, 4]
 * ```
 */
export class GlobalMaxPooling1D extends BaseGlobalPooling {
  static override className = 'GlobalMaxPooling1D';

  constructor(args: GlobalMaxPooling1DArgs = {}) {
    super(1, args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.max(castToFloat(x), this.spatialAxes, this.keepdims));
  }
}

register('layer', 'GlobalMaxPooling1D', GlobalMaxPooling1D, { aliases: ['GlobalMaxPool1D'] });
