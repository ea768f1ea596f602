import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { meanSquaredLogarithmicError } from './regression-math.js';

/**
 * Computes the mean squared logarithmic error: `mean(square(log(yTrue + 1) - log(yPred + 1)))`, values
 * below `epsilon = 1e-7` raised to it first.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'mean_squared_logarithmic_error'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.MeanSquaredLogarithmicError`
 *
 * @example
 * ```ts
 * const loss = new MeanSquaredLogarithmicError();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class MeanSquaredLogarithmicError extends LossFunctionWrapper {
  static override className = 'MeanSquaredLogarithmicError';

  constructor(args: LossArgs = {}) {
    super(meanSquaredLogarithmicError, { ...args, name: args.name ?? 'mean_squared_logarithmic_error' });
  }
}

register('loss', 'MeanSquaredLogarithmicError', MeanSquaredLogarithmicError, {
  aliases: ['mean_squared_logarithmic_error', 'msle', 'MSLE'],
});

declare module '@strata/core' {
  interface LossIds {
    MeanSquaredLogarithmicError: true;
    mean_squared_logarithmic_error: true;
    msle: true;
    MSLE: true;
    meanSquaredLogarithmicError: true;
  }
}
