import { type MetricArgs, register } from '@strata/core';

import { poisson } from '../losses/probabilistic-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean Poisson loss between targets and predictions over every sample seen.
 *
 * Arguments: `name` (default `'poisson'`), `dtype`.
 *
 * Keras: `keras.metrics.Poisson`
 *
 * @example
 * ```ts
 * const m = new Poisson();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class Poisson extends MeanMetricWrapper {
  static override className = 'Poisson';

  constructor(args: MetricArgs = {}) {
    super(poisson, { ...args, name: args.name ?? 'poisson' });
  }
}

register('metric', 'Poisson', Poisson, { aliases: ['poisson'] });

declare module '@strata/core' {
  interface MetricIds {
    Poisson: true;
    poisson: true;
  }
}
