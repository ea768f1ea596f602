import { type MetricArgs, register } from '@strata/core';

import { meanSquaredError } from '../losses/regression-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean squared error between targets and predictions over every sample seen.
 *
 * Arguments: `name` (default `'mean_squared_error'`), `dtype`.
 *
 * Keras: `keras.metrics.MeanSquaredError`
 *
 * @example
 * ```ts
 * const m = new MeanSquaredError();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class MeanSquaredError extends MeanMetricWrapper {
  static override className = 'MeanSquaredError';

  constructor(args: MetricArgs = {}) {
    super(meanSquaredError, { ...args, name: args.name ?? 'mean_squared_error' });
  }
}

register('metric', 'MeanSquaredError', MeanSquaredError, { aliases: ['mean_squared_error', 'mse', 'MSE'] });

declare module '@strata/core' {
  interface MetricIds {
    MeanSquaredError: true;
    mean_squared_error: true;
    mse: true;
    MSE: true;
    meanSquaredError: true;
  }
}
