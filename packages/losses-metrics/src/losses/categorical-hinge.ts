import { type LossArgs, register } from '@strata/core';
import { categoricalHinge } from './hinge-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

/**
 * Computes the categorical hinge loss `maximum(neg - pos + 1, 0)`, with `pos = sum(yTrue * yPred)` and
 * `neg = max((1 - yTrue) * yPred)`, over one-hot targets.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'categorical_hinge'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.CategoricalHinge`
 *
 * @example
 * ```ts
 * const loss = new CategoricalHinge();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class CategoricalHinge extends LossFunctionWrapper {
  static override className = 'CategoricalHinge';

  constructor(args: LossArgs = {}) {
    super(categoricalHinge, { ...args, name: args.name ?? 'categorical_hinge' });
  }
}

register('loss', 'CategoricalHinge', CategoricalHinge, { aliases: ['categorical_hinge'] });

declare module '@strata/core' {
  interface LossIds {
    CategoricalHinge: true;
    categorical_hinge: true;
    categoricalHinge: true;
  }
}
