import { register } from '@strata/core';

import { BasePooling, type BasePoolingArgs } from './base-pooling.js';

/** Constructor arguments of `AveragePooling1D`: Keras's arguments of the same names, in camelCase. */
export type AveragePooling1DArgs = BasePoolingArgs;

/**
 * Average pooling over windows of a sequence (Keras's `AveragePooling1D`).
 *
 * Arguments: `poolSize` (2), `strides` (default: `poolSize`), `padding` ('valid'), `dataFormat`
 * ('channels_last').
 *
 * Input shape: `(batch, steps, features)` (or `(batch, features, steps)` for channels_first).
 * Output shape: `(batch, pooledSteps, features)`, where `pooledSteps = floor((steps - poolSize) / strides) + 1`
 * with `valid` padding and `floor((steps - 1) / strides) + 1` with `same`.
 *
 * Keras: `keras.layers.AveragePooling1D`
 *
 * @example
 * ```ts
 * new AveragePooling1D({ poolSize: 2 }).apply(tf.zeros([1, 5, 3])); // shape [1, 2, 3]
 * ```
 */
export class AveragePooling1D extends BasePooling {
  static override className = 'AveragePooling1D';

  constructor(args: AveragePooling1DArgs = {}) {
    super(1, 'average', args);
  }
}

register('layer', 'AveragePooling1D', AveragePooling1D, { aliases: ['AvgPool1D'] });
