import { type MetricArgs, register } from '@strata/core';

import { logCosh } from '../losses/regression-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean logarithm of the hyperbolic cosine of the prediction error over every sample seen.
 *
 * Arguments: `name` (default `'logcosh'`), `dtype`.
 *
 * Keras: `keras.metrics.LogCoshError`
 *
 * @example
 * ```ts
 * const m = new LogCoshError();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class LogCoshError extends MeanMetricWrapper {
  static override className = 'LogCoshError';

  constructor(args: MetricArgs = {}) {
    super(logCosh, { ...args, name: args.name ?? 'logcosh' });
  }
}

register('metric', 'LogCoshError', LogCoshError, { aliases: ['log_cosh_error', 'logcosh', 'log_cosh'] });

declare module '@strata/core' {
  interface MetricIds {
    LogCoshError: true;
    log_cosh_error: true;
    logcosh: true;
    log_cosh: true;
    logCoshError: true;
    logCosh: true;
  }
}
