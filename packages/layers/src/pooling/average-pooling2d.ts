import { register } from '@strata/core';

import { BasePooling, type BasePoolingArgs } from './base-pooling.js';

/** Constructor arguments of `AveragePooling2D`: Keras's arguments of the same names, in camelCase. */
export type AveragePooling2DArgs = BasePoolingArgs;

/**
 * Average pooling over windows of an image (Keras's `AveragePooling2D`).
 *
 * Arguments: `poolSize` ([2, 2]), `strides` (default: `poolSize`), `padding` ('valid'), `dataFormat`
 * ('channels_last').
 *
 * Input shape: `(batch, rows, cols, channels)` (or `(batch, channels, rows, cols)` for channels_first).
 * Output shape: `(batch, pooledRows, pooledCols, channels)`, each size `floor((n - pool) / stride) + 1` with
 * `valid` padding and `floor((n - 1) / stride) + 1` with `same`.
 *
 * Keras: `keras.layers.AveragePooling2D`
 *
 * @example
 * ```ts
 * new AveragePooling2D({ poolSize: 2 }).apply(tf.zeros([1, 28, 28, 8])); // shape [1, 14, 14, 8]
 * ```
 */
export class AveragePooling2D extends BasePooling {
  static override className = 'AveragePooling2D';

  constructor(args: AveragePooling2DArgs = {}) {
    super(2, 'average', args);
  }
}

register('layer', 'AveragePooling2D', AveragePooling2D, { aliases: ['AvgPool2D'] });
