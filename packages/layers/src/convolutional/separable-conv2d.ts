import { register } from '@strata/core';

import { BaseSeparableConv, type BaseSeparableConvArgs } from './base-separable-conv.js';

/** Constructor arguments of `SeparableConv2D`: Keras's arguments of the same names, in camelCase. */
export type SeparableConv2DArgs = BaseSeparableConvArgs;

/**
 * 2-D depthwise-separable convolution (Keras's `SeparableConv2D`): a depthwise convolution that acts on
 * each channel separately, then a 1x1 pointwise convolution that mixes channels into `filters` outputs.
 *
 * Arguments: `filters`, `kernelSize`, and optionally `depthMultiplier` (1), `strides` (1), `padding`
 * ('valid'), `dataFormat` ('channels_last'), `dilationRate` (1), `activation` (none), `useBias` (true),
 * `depthwiseInitializer`/`pointwiseInitializer` ('glorot_uniform'), `biasInitializer` ('zeros'),
 * regularizers and constraints for each weight.
 *
 * Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, newRows, newCols, filters)`.
 * Weights: `depthwise_kernel` `(kh, kw, channels, depthMultiplier)`, `pointwise_kernel`
 * `(1, 1, channels * depthMultiplier, filters)`, `bias` `(filters)`.
 *
 * Keras: `keras.layers.SeparableConv2D`
 *
 * @example
 * ```ts
 * const y = new SeparableConv2D({ filters: 4, kernelSize: 3 }).apply(tf.zeros([4, 10, 10, 12]));
 * // y.shape: [4, 8, 8, 4]
 * ```
 */
export class SeparableConv2D extends BaseSeparableConv {
  static override className = 'SeparableConv2D';

  constructor(args: SeparableConv2DArgs) {
    super(2, args);
  }
}

register('layer', 'SeparableConv2D', SeparableConv2D, { aliases: ['SeparableConvolution2D'] });
