import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { logCosh } from './regression-math.js';

/**
 * Computes the logarithm of the hyperbolic cosine of the prediction error, `mean(log(cosh(yPred - yTrue)))`:
 * about `x^2 / 2` for small errors and `abs(x) - log(2)` for large ones.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'log_cosh'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.LogCosh`
 *
 * @example
 * ```ts
 * const loss = new LogCosh();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class LogCosh extends LossFunctionWrapper {
  static override className = 'LogCosh';

  constructor(args: LossArgs = {}) {
    super(logCosh, { ...args, name: args.name ?? 'log_cosh' });
  }
}

register('loss', 'LogCosh', LogCosh, { aliases: ['log_cosh', 'logcosh'] });

declare module '@strata/core' {
  interface LossIds {
    LogCosh: true;
    log_cosh: true;
    logcosh: true;
    logCosh: true;
  }
}
