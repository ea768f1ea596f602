import { type LossArgs, register } from '@strata/core';
import { squaredHinge } from './hinge-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

/**
 * Computes the squared hinge loss `mean(square(maximum(1 - yTrue * yPred, 0)))`. Labels are expected in
 * {-1, 1}; labels that are all 0 or 1 are mapped to -1/1.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'squared_hinge'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.SquaredHinge`
 *
 * @example
 * ```ts
 * const loss = new SquaredHinge();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class SquaredHinge extends LossFunctionWrapper {
  static override className = 'SquaredHinge';

  constructor(args: LossArgs = {}) {
    super(squaredHinge, { ...args, name: args.name ?? 'squared_hinge' });
  }
}

register('loss', 'SquaredHinge', SquaredHinge, { aliases: ['squared_hinge'] });

declare module '@strata/core' {
  interface LossIds {
    SquaredHinge: true;
    squared_hinge: true;
    squaredHinge: true;
  }
}
