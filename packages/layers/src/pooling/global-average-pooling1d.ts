import { type CallKwargs, register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { castToFloat } from '../convolutional/conv-ops.js';
import { BaseGlobalPooling, type BaseGlobalPoolingArgs } from './base-global-pooling.js';

/** Constructor arguments of `GlobalAveragePooling1D`: Keras's arguments of the same names, in camelCase. */
export type GlobalAveragePooling1DArgs = BaseGlobalPoolingArgs;

/**
 * Global average pooling over time (Keras's `GlobalAveragePooling1D`): the mean over all steps, per
 * feature. With a mask `(batch, steps)`, masked steps are left out of the mean.
 *
 * Arguments: `dataFormat` ('channels_last'), `keepdims` (false).
 *
 * Input shape: `(batch, steps, features)` (or `(batch, features, steps)` for channels_first).
 * Output shape: `(batch, features)`, or with `keepdims` `(batch, 1, features)` (channels_first:
 * `(batch, features, 1)`).
 *
 * Keras: `keras.layers.GlobalAveragePooling1D`
 *
 * @example
 * ```ts
 * new GlobalAveragePooling1D().apply(tf.zeros([2, 3, 4])); // shape [2, 4]
 * ```
 */
export class GlobalAveragePooling1D extends BaseGlobalPooling {
  static override className = 'GlobalAveragePooling1D';

  constructor(args: GlobalAveragePooling1DArgs = {}) {
    super(1, args);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const mask = Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask;
    const stepsAxis = this.spatialAxes[0];
    return tf.tidy(() => {
      const x = castToFloat(input);
      if (mask == null) return tf.mean(x, stepsAxis, this.keepdims);
      // The mask is (batch, steps): give it a unit feature axis so it lines up with the input. Masked
      // values are replaced rather than multiplied by zero, so that an inf or NaN there cannot leak in.
      const keep = tf.cast(tf.expandDims(mask, this.dataFormat === 'channels_last' ? 2 : 1), 'bool');
      const total = tf.sum(
        tf.where(tf.broadcastTo(keep, x.shape), x, tf.zerosLike(x)),
        stepsAxis,
        this.keepdims,
      );
      return tf.div(total, tf.sum(tf.cast(keep, x.dtype), stepsAxis, this.keepdims));
    });
  }

  /** The steps axis is gone, so no mask goes on. */
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], _mask?: unknown): null {
    return null;
  }
}

register('layer', 'GlobalAveragePooling1D', GlobalAveragePooling1D, { aliases: ['GlobalAvgPool1D'] });
