import { register } from '@strata/core';

import { BaseConvTranspose, type BaseConvTransposeArgs } from './base-conv-transpose.js';

/** Constructor arguments of `Conv2DTranspose`: Keras's arguments of the same names, in camelCase. */
export type Conv2DTransposeArgs = BaseConvTransposeArgs;

/**
 * 2-D transposed convolution (Keras's `Conv2DTranspose`), the opposite direction of a Conv2D: it maps
 * something with the shape of a convolution's output to something with the shape of its input.
 *
 * Arguments: `filters`, `kernelSize`, and optionally `strides` (1), `padding` ('valid'), `outputPadding`
 * (none), `dataFormat` ('channels_last'), `dilationRate` (1), `activation` (none), `useBias` (true),
 * initializers, regularizers and constraints as Conv2D's.
 *
 * Input shape: `(batch, rows, cols, channels)`. Output shape: `(batch, newRows, newCols, filters)` where,
 * with `'same'` padding, `newRows = rows * strides[0]`. The kernel has shape `(kh, kw, filters, channels)`.
 *
 * Keras: `keras.layers.Conv2DTranspose`
 *
 * @example
 * ```ts
 * const y = new Conv2DTranspose({ filters: 32, kernelSize: 2, strides: 2 }).apply(tf.zeros([4, 10, 8, 128]));
 * // y.shape: [4, 20, 16, 32]
 * ```
 */
export class Conv2DTranspose extends BaseConvTranspose {
  static override className = 'Conv2DTranspose';

  constructor(args: Conv2DTransposeArgs) {
    super(2, args);
  }
}

register('layer', 'Conv2DTranspose', Conv2DTranspose, { aliases: ['Convolution2DTranspose'] });
