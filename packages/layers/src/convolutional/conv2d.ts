import { register } from '@strata/core';

import { BaseConv, type BaseConvArgs } from './base-conv.js';

/** Constructor arguments of `Conv2D`: Keras's arguments of the same names, in camelCase. */
export type Conv2DArgs = BaseConvArgs;

/**
 * 2-D convolution over images (Keras's `Conv2D`).
 *
 * Arguments: `filters`, `kernelSize`, and optionally `strides` (1), `padding` ('valid'), `dataFormat`
 * ('channels_last'), `dilationRate` (1), `groups` (1), `activation` (none), `useBias` (true),
 * `kernelInitializer` ('glorot_uniform'), `biasInitializer` ('zeros'), and regularizers and constraints.
 *
 * Input shape: `(batch, rows, cols, channels)` (or `(batch, channels, rows, cols)` for channels_first).
 * Output shape: `(batch, newRows, newCols, filters)` (or channels first). The kernel has shape
 * `(kh, kw, channels / groups, filters)`.
 *
 * Keras: `keras.layers.Conv2D`
 *
 * @example
 * ```ts
 * const y = new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(tf.zeros([4, 28, 28, 1]));
 * // y.shape: [4, 26, 26, 32]
 * ```
 */
export class Conv2D extends BaseConv {
  static override className = 'Conv2D';

  constructor(args: Conv2DArgs) {
    super(2, args);
  }
}

register('layer', 'Conv2D', Conv2D, { aliases: ['Convolution2D'] });
