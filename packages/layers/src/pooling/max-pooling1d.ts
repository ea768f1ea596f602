import { register } from '@strata/core';

import { BasePooling, type BasePoolingArgs } from './base-pooling.js';

/** Constructor arguments of `MaxPooling1D`: Keras's arguments of the same names, in camelCase. */
export type MaxPooling1DArgs = BasePoolingArgs;

/**
 * Max pooling over windows of a sequence (Keras's `MaxPooling1D`).
 *
 * Arguments: `poolSize` (2), `strides` (default: `poolSize`), `padding` ('valid'), `dataFormat`
 * ('channels_last').
 *
 * Input shape: `(batch, steps, features)` (or `(batch, features, steps)` for channels_first).
 * Output shape: `(batch, pooledSteps, features)`, where `pooledSteps = floor((steps - poolSize) / strides) + 1`
 * with `valid` padding and `floor((steps - 1) / strides) + 1` with `same`.
 *
 * Keras: `keras.layers.MaxPooling1D`
 *
 * @example
 * ```ts
 * new MaxPooling1D({ poolSize: 2 }).apply(tf.zeros([1, 5, 3])); // shape [1, 2, 3]
 * ```
 */
export class MaxPooling1D extends BasePooling {
  static override className = 'MaxPooling1D';

  constructor(args: MaxPooling1DArgs = {}) {
    super(1, 'max', args);
  }
}

register('layer', 'MaxPooling1D', MaxPooling1D, { aliases: ['MaxPool1D'] });
