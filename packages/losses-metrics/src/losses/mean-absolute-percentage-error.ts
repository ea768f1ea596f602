import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { meanAbsolutePercentageError } from './regression-math.js';

/**
 * Computes the mean absolute percentage error: `100 * mean(abs((yTrue - yPred) / yTrue))`, the
 * denominator kept away from zero by `epsilon = 1e-7`.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'mean_absolute_percentage_error'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.MeanAbsolutePercentageError`
 *
 * @example
 * ```ts
 * const loss = new MeanAbsolutePercentageError();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class MeanAbsolutePercentageError extends LossFunctionWrapper {
  static override className = 'MeanAbsolutePercentageError';

  constructor(args: LossArgs = {}) {
    super(meanAbsolutePercentageError, { ...args, name: args.name ?? 'mean_absolute_percentage_error' });
  }
}

register('loss', 'MeanAbsolutePercentageError', MeanAbsolutePercentageError, {
  aliases: ['mean_absolute_percentage_error', 'mape', 'MAPE'],
});

declare module '@strata/core' {
  interface LossIds {
    MeanAbsolutePercentageError: true;
    mean_absolute_percentage_error: true;
    mape: true;
    MAPE: true;
    meanAbsolutePercentageError: true;
  }
}
