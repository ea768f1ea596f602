import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { tversky } from './segmentation-math.js';

/** Constructor arguments of `Tversky`: Keras's arguments of the same names, in camelCase. */
export interface TverskyArgs extends LossArgs {
  /** The weight of false positives. Default 0.5. */
  alpha?: number;
  /** The weight of false negatives. Default 0.5. */
  beta?: number;
  /** The axes the overlap is measured over; null (the default) measures it over the whole batch. */
  axis?: number | number[] | null;
}

/**
 * Computes the Tversky loss `1 - TP / (TP + alpha * FP + beta * FN)` (Salehi et al., 2017) with soft
 * counts; `alpha = beta = 0.5` gives the Dice loss.
 *
 * Arguments: `alpha` (0.5), `beta` (0.5), `axis` (null), `reduction` (`'sum_over_batch_size'`), `name`
 * (`'tversky'`).
 *
 * Keras: `keras.losses.Tversky`
 *
 * @example
 * ```ts
 * const loss = new Tversky({ alpha: 0.3, beta: 0.7 });
 * loss.apply(yTrue, yPred); // shape []
 * ```
 */
export class Tversky extends LossFunctionWrapper {
  static override className = 'Tversky';

  readonly alpha: number;
  readonly beta: number;
  readonly axis: number | number[] | null;

  constructor(args: TverskyArgs = {}) {
    const { alpha = 0.5, beta = 0.5, axis = null, ...base } = args;
    super((t, p) => tversky(t, p, alpha, beta, axis), { ...base, name: base.name ?? 'tversky' });
    this.alpha = alpha;
    this.beta = beta;
    this.axis = axis;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha, beta: this.beta, axis: this.axis };
  }
}

register('loss', 'Tversky', Tversky, { aliases: ['tversky'] });

declare module '@strata/core' {
  interface LossIds {
    Tversky: true;
    tversky: true;
  }
}
