import { type MetricArgs, register } from '@strata/core';

import { categoricalHinge } from '../losses/hinge-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean categorical hinge loss over every sample seen.
 *
 * Arguments: `name` (default `'categorical_hinge'`), `dtype`.
 *
 * Keras: `keras.metrics.CategoricalHinge`
 *
 * @example
 * ```ts
 * const m = new CategoricalHinge();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class CategoricalHinge extends MeanMetricWrapper {
  static override className = 'CategoricalHinge';

  constructor(args: MetricArgs = {}) {
    super(categoricalHinge, { ...args, name: args.name ?? 'categorical_hinge' });
  }
}

register('metric', 'CategoricalHinge', CategoricalHinge, { aliases: ['categorical_hinge'] });

declare module '@strata/core' {
  interface MetricIds {
    CategoricalHinge: true;
    categorical_hinge: true;
    categoricalHinge: true;
  }
}
