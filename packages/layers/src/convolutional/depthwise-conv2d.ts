import { register } from '@strata/core';

import { BaseDepthwiseConv, type BaseDepthwiseConvArgs } from './base-depthwise-conv.js';

/** Constructor arguments of `DepthwiseConv2D`: Keras's arguments of the same names, in camelCase. */
export type DepthwiseConv2DArgs = BaseDepthwiseConvArgs;

/**
 * 2-D depthwise convolution (Keras's `DepthwiseConv2D`): each input channel is convolved with its own
 * `depthMultiplier` filters, with no mixing across channels — the first half of a separable convolution.
 *
 * Arguments: `kernelSize`, and optionally `depthMultiplier` (1), `strides` (1), `padding` ('valid'),
 * `dataFormat` ('channels_last'), `dilationRate` (1), `activation` (none), `useBias` (true),
 * `depthwiseInitializer` ('glorot_uniform'), `biasInitializer` ('zeros'), regularizers and constraints.
 *
 * Input shape: `(batch, rows, cols, channels)`. Output shape:
 * `(batch, newRows, newCols, channels * depthMultiplier)`. The kernel has shape
 * `(kh, kw, channels, depthMultiplier)`.
 *
 * Keras: `keras.layers.DepthwiseConv2D`
 *
 * @example
 * ```ts
 * const y = new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2 }).apply(tf.zeros([4, 10, 10, 12]));
 * // y.shape: [4, 8, 8, 24]
 * ```
 */
export class DepthwiseConv2D extends BaseDepthwiseConv {
  static override className = 'DepthwiseConv2D';

  constructor(args: DepthwiseConv2DArgs) {
    super(2, args);
  }
}

register('layer', 'DepthwiseConv2D', DepthwiseConv2D);
