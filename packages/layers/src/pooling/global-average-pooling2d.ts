import { type CallKwargs, register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { castToFloat } from '../convolutional/conv-ops.js';
import { BaseGlobalPooling, type BaseGlobalPoolingArgs } from './base-global-pooling.js';

/** Constructor arguments of `GlobalAveragePooling2D`: Keras's arguments of the same names, in camelCase. */
export type GlobalAveragePooling2DArgs = BaseGlobalPoolingArgs;

/**
 * Global average pooling (Keras's `GlobalAveragePooling2D`): the average over all spatial positions, per channel.
 *
 * Arguments: `dataFormat` ('channels_last'), `keepdims` (false).
 *
 * Input shape: `(batch, rows, cols, channels)` (or `(batch, channels, rows, cols)` for channels_first).
 * Output shape: `(batch, channels)`, or with `keepdims` `(batch, 1, 1, channels)` (channels_first:
 * `(batch, channels, 1, 1)`).
 *
 * Keras: `keras.layers.GlobalAveragePooling2D`
 *
 * @example
 * ```ts
 * new GlobalAveragePooling2D().apply(tf.zeros([2, 4, 5, 3])); // shape [2, 3]
 * ```
 */
export class GlobalAveragePooling2D extends BaseGlobalPooling {
  static override className = 'GlobalAveragePooling2D';

  constructor(args: GlobalAveragePooling2DArgs = {}) {
    super(2, args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.mean(castToFloat(x), this.spatialAxes, this.keepdims));
  }
}

register('layer', 'GlobalAveragePooling2D', GlobalAveragePooling2D, { aliases: ['GlobalAvgPool2D'] });
