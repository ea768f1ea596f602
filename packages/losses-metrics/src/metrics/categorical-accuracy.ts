import { type MetricArgs, register } from '@strata/core';

import { categoricalAccuracy } from './accuracy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes how often the arg max of the predictions matches the arg max of one-hot targets.
 *
 * Shapes: `yTrue` and `yPred` both `[batch, numClasses]`.
 *
 * Arguments: `name` (default `'categorical_accuracy'`), `dtype`.
 *
 * Keras: `keras.metrics.CategoricalAccuracy`
 *
 * @example
 * ```ts
 * const m = new CategoricalAccuracy();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class CategoricalAccuracy extends MeanMetricWrapper {
  static override className = 'CategoricalAccuracy';

  constructor(args: MetricArgs = {}) {
    super(categoricalAccuracy, { ...args, name: args.name ?? 'categorical_accuracy' });
  }
}

register('metric', 'CategoricalAccuracy', CategoricalAccuracy, { aliases: ['categorical_accuracy'] });

declare module '@strata/core' {
  interface MetricIds {
    CategoricalAccuracy: true;
    categorical_accuracy: true;
    categoricalAccuracy: true;
  }
}
