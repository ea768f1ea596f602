import { type LossArgs, register, ValueError } from '@strata/core';

import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { huber } from './regression-math.js';

/** Constructor arguments of `Huber`: Keras's arguments of the same names, in camelCase. */
export interface HuberArgs extends LossArgs {
  /** Where the loss turns from quadratic to linear. Default 1. */
  delta?: number;
}

/**
 * Computes the Huber loss: `0.5 * x^2` for errors `|x| <= delta`, `delta * |x| - 0.5 * delta^2` beyond,
 * averaged over the last axis.
 *
 * Arguments: `delta` (default 1), `reduction` (default `'sum_over_batch_size'`), `name` (default `'huber_loss'`).
 *
 * Keras: `keras.losses.Huber`
 *
 * @example
 * ```ts
 * new Huber({ delta: 0.5 }).apply(yTrue, yPred);
 * ```
 */
export class Huber extends LossFunctionWrapper {
  static override className = 'Huber';

  readonly delta: number;

  constructor(args: HuberArgs = {}) {
    const { delta = 1, ...base } = args;
    if (!(delta > 0))
      throw new ValueError(`Argument \`delta\` of Huber must be > 0. Received: delta=${delta}`);
    super((t, p) => huber(t, p, delta), { ...base, name: base.name ?? 'huber_loss' });
    this.delta = delta;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), delta: this.delta };
  }
}

register('loss', 'Huber', Huber, { aliases: ['huber'] });

declare module '@strata/core' {
  interface LossIds {
    Huber: true;
    huber: true;
  }
}
