import { type MetricArgs, register } from '@strata/core';

import { squaredHinge } from '../losses/hinge-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean squared hinge loss over every sample seen (0/1 labels are mapped to -1/1).
 *
 * Arguments: `name` (default `'squared_hinge'`), `dtype`.
 *
 * Keras: `keras.metrics.SquaredHinge`
 *
 * @example
 * ```ts
 * const m = new SquaredHinge();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class SquaredHinge extends MeanMetricWrapper {
  static override className = 'SquaredHinge';

  constructor(args: MetricArgs = {}) {
    super(squaredHinge, { ...args, name: args.name ?? 'squared_hinge' });
  }
}

register('metric', 'SquaredHinge', SquaredHinge, { aliases: ['squared_hinge'] });

declare module '@strata/core' {
  interface MetricIds {
    SquaredHinge: true;
    squared_hinge: true;
    squaredHinge: true;
  }
}
