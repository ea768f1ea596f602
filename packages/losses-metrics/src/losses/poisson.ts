import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { poisson } from './probabilistic-math.js';

/**
 * Computes the Poisson loss `mean(yPred - yTrue * log(yPred + 1e-7))`.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'poisson'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.Poisson`
 *
 * @example
 * ```ts
 * const loss = new Poisson();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class Poisson extends LossFunctionWrapper {
  static override className = 'Poisson';

  constructor(args: LossArgs = {}) {
    super(poisson, { ...args, name: args.name ?? 'poisson' });
  }
}

register('loss', 'Poisson', Poisson, { aliases: ['poisson'] });

declare module '@strata/core' {
  interface LossIds {
    Poisson: true;
    poisson: true;
  }
}
