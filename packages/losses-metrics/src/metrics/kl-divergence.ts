import { type MetricArgs, register } from '@strata/core';

import { klDivergence } from '../losses/probabilistic-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean Kullback-Leibler divergence between targets and predictions over every sample seen.
 *
 * Arguments: `name` (default `'kl_divergence'`), `dtype`.
 *
 * Keras: `keras.metrics.KLDivergence`
 *
 * @example
 * ```ts
 * const m = new KLDivergence();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class KLDivergence extends MeanMetricWrapper {
  static override className = 'KLDivergence';

  constructor(args: MetricArgs = {}) {
    super(klDivergence, { ...args, name: args.name ?? 'kl_divergence' });
  }
}

register('metric', 'KLDivergence', KLDivergence, {
  aliases: ['kl_divergence', 'kld', 'KLD', 'kullback_leibler_divergence'],
});

declare module '@strata/core' {
  interface MetricIds {
    KLDivergence: true;
    kl_divergence: true;
    kld: true;
    KLD: true;
    kullback_leibler_divergence: true;
    klDivergence: true;
    kullbackLeiblerDivergence: true;
  }
}
