import { type LossArgs, register } from '@strata/core';
import { hinge } from './hinge-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

/**
 * Computes the hinge loss `mean(maximum(1 - yTrue * yPred, 0))`. Labels are expected in {-1, 1}; labels
 * that are all 0 or 1 are mapped to -1/1.
 *
 * Arguments: `reduction` (default `'sum_over_batch_size'`), `name` (default `'hinge'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, ...]`; per-sample values have the last axis reduced.
 *
 * Keras: `keras.losses.Hinge`
 *
 * @example
 * ```ts
 * const loss = new Hinge();
 * loss.apply(yTrue, yPred); // a scalar tensor
 * ```
 */
export class Hinge extends LossFunctionWrapper {
  static override className = 'Hinge';

  constructor(args: LossArgs = {}) {
    super(hinge, { ...args, name: args.name ?? 'hinge' });
  }
}

register('loss', 'Hinge', Hinge, { aliases: ['hinge'] });

declare module '@strata/core' {
  interface LossIds {
    Hinge: true;
    hinge: true;
  }
}
