import { type LossArgs, register } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { dice } from './segmentation-math.js';

/** Constructor arguments of `Dice`: Keras's arguments of the same names, in camelCase. */
export interface DiceArgs extends LossArgs {
  /** The axes the overlap is measured over; null (the default) measures it over the whole batch. */
  axis?: number | number[] | null;
}

/**
 * Computes the Dice loss `1 - 2 * sum(yTrue * yPred) / (sum(yTrue) + sum(yPred))` over `axis`.
 *
 * Arguments: `axis` (null: one value for the batch; e.g. `[1, 2, 3]` gives one per image), `reduction`
 * (`'sum_over_batch_size'`), `name` (`'dice'`).
 *
 * Keras: `keras.losses.Dice`
 *
 * @example
 * ```ts
 * const loss = new Dice();
 * loss.apply(yTrue, yPred); // shape []
 * ```
 */
export class Dice extends LossFunctionWrapper {
  static override className = 'Dice';

  readonly axis: number | number[] | null;

  constructor(args: DiceArgs = {}) {
    const { axis = null, ...base } = args;
    super((t, p) => dice(t, p, axis), { ...base, name: base.name ?? 'dice' });
    this.axis = axis;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

register('loss', 'Dice', Dice, { aliases: ['dice'] });

declare module '@strata/core' {
  interface LossIds {
    Dice: true;
    dice: true;
  }
}
