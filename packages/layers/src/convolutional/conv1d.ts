import { register } from '@strata/core';

import { BaseConv, type BaseConvArgs } from './base-conv.js';

/** Constructor arguments of `Conv1D`: Keras's arguments of the same names, in camelCase. */
export type Conv1DArgs = BaseConvArgs;

/**
 * 1-D convolution over sequences (Keras's `Conv1D`), e.g. temporal convolution.
 *
 * Arguments as Conv2D's, with one integer per size; `padding` may also be `'causal'`, which pads on the
 * left only so that output step t depends on input steps up to t.
 *
 * Input shape: `(batch, steps, channels)` (or `(batch, channels, steps)` for channels_first).
 * Output shape: `(batch, newSteps, filters)` (or channels first). The kernel has shape
 * `(k, channels / groups, filters)`.
 *
 * Keras: `keras.layers.Conv1D`
 *
 * @example
 * ```ts
 * const y = new Conv1D({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(tf.zeros([4, 10, 128]));
 * // y.shape: [4, 8, 32]
 * ```
 */
export class Conv1D extends BaseConv {
  static override className = 'Conv1D';

  constructor(args: Conv1DArgs) {
    super(1, args);
  }
}

register('layer', 'Conv1D', Conv1D, { aliases: ['Convolution1D'] });
