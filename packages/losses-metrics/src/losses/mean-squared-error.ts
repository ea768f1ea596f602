import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { meanSquaredError } from './regression-math.js';

/**
 * Computes the mean of squares of errors between labels and predictions: `mean(square(yTrue - yPred))`.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'mean_squared_error'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.MeanSquaredError`
 *
 * @example
 * ```ts
 * const loss = new MeanSquaredError();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class MeanSquaredError extends LossFunctionWrapper {
  static override className = 'MeanSquaredError';

  constructor(args: LossArgs = {}) {
    super(meanSquaredError, { ...args, name: args.name ?? 'mean_squared_error' });
  }
}

register('loss', 'MeanSquaredError', MeanSquaredError, { aliases: ['mean_squared_error', 'mse', 'MSE'] });

declare module '@strata/core' {
  interface LossIds {
    MeanSquaredError: true;
    mean_squared_error: true;
    mse: true;
    MSE: true;
    meanSquaredError: true;
  }
}
