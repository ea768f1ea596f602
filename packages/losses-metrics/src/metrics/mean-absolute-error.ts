import { type MetricArgs, register } from '@strata/core';

import { meanAbsoluteError } from '../losses/regression-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean absolute error between targets and predictions over every sample seen.
 *
 * Arguments: `name` (default `'mean_absolute_error'`), `dtype`.
 *
 * Keras: `keras.metrics.MeanAbsoluteError`
 *
 * @example
 * ```ts
 * const m = new MeanAbsoluteError();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class MeanAbsoluteError extends MeanMetricWrapper {
  static override className = 'MeanAbsoluteError';

  constructor(args: MetricArgs = {}) {
    super(meanAbsoluteError, { ...args, name: args.name ?? 'mean_absolute_error' });
  }
}

register('metric', 'MeanAbsoluteError', MeanAbsoluteError, {
  aliases: ['mean_absolute_error', 'mae', 'MAE'],
});

declare module '@strata/core' {
  interface MetricIds {
    MeanAbsoluteError: true;
    mean_absolute_error: true;
    mae: true;
    MAE: true;
    meanAbsoluteError: true;
  }
}
