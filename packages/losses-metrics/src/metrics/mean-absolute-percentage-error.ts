import { type MetricArgs, register } from '@strata/core';

import { meanAbsolutePercentageError } from '../losses/regression-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean absolute percentage error between targets and predictions over every sample seen.
 *
 * Arguments: `name` (default `'mean_absolute_percentage_error'`), `dtype`.
 *
 * Keras: `keras.metrics.MeanAbsolutePercentageError`
 *
 * @example
 * ```ts
 * const m = new MeanAbsolutePercentageError();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class MeanAbsolutePercentageError extends MeanMetricWrapper {
  static override className = 'MeanAbsolutePercentageError';

  constructor(args: MetricArgs = {}) {
    super(meanAbsolutePercentageError, { ...args, name: args.name ?? 'mean_absolute_percentage_error' });
  }
}

register('metric', 'MeanAbsolutePercentageError', MeanAbsolutePercentageError, {
  aliases: ['mean_absolute_percentage_error', 'mape', 'MAPE'],
});

declare module '@strata/core' {
  interface MetricIds {
    MeanAbsolutePercentageError: true;
    mean_absolute_percentage_error: true;
    mape: true;
    MAPE: true;
    meanAbsolutePercentageError: true;
  }
}
