import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { meanAbsoluteError } from './regression-math.js';

/**
 * Computes the mean of absolute differences between labels and predictions: `mean(abs(yTrue - yPred))`.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'mean_absolute_error'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.MeanAbsoluteError`
 *
 * @example
 * ```ts
 * const loss = new MeanAbsoluteError();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class MeanAbsoluteError extends LossFunctionWrapper {
  static override className = 'MeanAbsoluteError';

  constructor(args: LossArgs = {}) {
    super(meanAbsoluteError, { ...args, name: args.name ?? 'mean_absolute_error' });
  }
}

register('loss', 'MeanAbsoluteError', MeanAbsoluteError, { aliases: ['mean_absolute_error', 'mae', 'MAE'] });

declare module '@strata/core' {
  interface LossIds {
    MeanAbsoluteError: true;
    mean_absolute_error: true;
    mae: true;
    MAE: true;
    meanAbsoluteError: true;
  }
}
