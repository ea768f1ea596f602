import { type MetricArgs, register } from '@strata/core';

import { sparseCategoricalAccuracy } from './accuracy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes how often the arg max of the predictions matches integer class ids.
 *
 * Shapes: `yTrue` `[batch]` or `[batch, 1]`, `yPred` `[batch, numClasses]`.
 *
 * Arguments: `name` (default `'sparse_categorical_accuracy'`), `dtype`.
 *
 * Keras: `keras.metrics.SparseCategoricalAccuracy`
 *
 * @example
 * ```ts
 * const m = new SparseCategoricalAccuracy();
 * m.updateState(tf.tensor1d([1, 2]), tf.tensor2d([[0.1, 0.8, 0.1], [0.5, 0.3, 0.2]]));
 * m.result(); // a scalar tensor: 0.5
 * ```
 */
export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  static override className = 'SparseCategoricalAccuracy';

  constructor(args: MetricArgs = {}) {
    super(sparseCategoricalAccuracy, { ...args, name: args.name ?? 'sparse_categorical_accuracy' });
  }
}

register('metric', 'SparseCategoricalAccuracy', SparseCategoricalAccuracy, {
  aliases: ['sparse_categorical_accuracy'],
});

declare module '@strata/core' {
  interface MetricIds {
    SparseCategoricalAccuracy: true;
    sparse_categorical_accuracy: true;
    sparseCategoricalAccuracy: true;
  }
}
