import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { klDivergence } from './probabilistic-math.js';

/**
 * Computes the Kullback-Leibler divergence `sum(yTrue * log(yTrue / yPred))`, both clipped to `[1e-7, 1]`.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'kl_divergence'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.KLDivergence`
 *
 * @example
 * ```ts
 * const loss = new KLDivergence();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class KLDivergence extends LossFunctionWrapper {
  static override className = 'KLDivergence';

  constructor(args: LossArgs = {}) {
    super(klDivergence, { ...args, name: args.name ?? 'kl_divergence' });
  }
}

register('loss', 'KLDivergence', KLDivergence, {
  aliases: ['kl_divergence', 'kld', 'KLD', 'kullback_leibler_divergence'],
});

declare module '@strata/core' {
  interface LossIds {
    KLDivergence: true;
    kl_divergence: true;
    kld: true;
    KLD: true;
    kullback_leibler_divergence: true;
    klDivergence: true;
    kullbackLeiblerDivergence: true;
  }
}
