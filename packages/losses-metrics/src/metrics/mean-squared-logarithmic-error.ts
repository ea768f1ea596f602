import { type MetricArgs, register } from '@strata/core';

import { meanSquaredLogarithmicError } from '../losses/regression-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean squared logarithmic error between targets and predictions over every sample seen.
 *
 * Arguments: `name` (default `'mean_squared_logarithmic_error'`), `dtype`.
 *
 * Keras: `keras.metrics.MeanSquaredLogarithmicError`
 *
 * @example
 * ```ts
 * const m = new MeanSquaredLogarithmicError();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class MeanSquaredLogarithmicError extends MeanMetricWrapper {
  static override className = 'MeanSquaredLogarithmicError';

  constructor(args: MetricArgs = {}) {
    super(meanSquaredLogarithmicError, { ...args, name: args.name ?? 'mean_squared_logarithmic_error' });
  }
}

register('metric', 'MeanSquaredLogarithmicError', MeanSquaredLogarithmicError, {
  aliases: ['mean_squared_logarithmic_error', 'msle', 'MSLE'],
});

declare module '@strata/core' {
  interface MetricIds {
    MeanSquaredLogarithmicError: true;
    mean_squared_logarithmic_error: true;
    msle: true;
    MSLE: true;
    meanSquaredLogarithmicError: true;
  }
}
