import { type LossArgs, register } from '@strata/core';

import { binaryCrossentropy } from './crossentropy-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

export interface BinaryCrossentropyArgs extends LossArgs {
  /** Whether `yPred` holds logits rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** In [0, 1]: squeezes targets towards 0.5, `y * (1 - s) + 0.5 * s`. Default 0. */
  labelSmoothing?: number;
  /** The axis the crossentropy is averaged over. Default -1. */
  axis?: number;
}

/**
 * Computes the crossentropy between binary targets (0 or 1) and predicted probabilities (or logits with
 * `fromLogits: true`, which is more stable). Probabilities are clipped to `[1e-7, 1 - 1e-7]`.
 *
 * Arguments: `fromLogits` (false), `labelSmoothing` (0), `axis` (-1), `reduction`
 * (`'sum_over_batch_size'`), `name` (`'binary_crossentropy'`).
 * Shapes: `yTrue` and `yPred` of one shape `[batch, d0, ..]` (`[batch]` against `[batch, 1]` is accepted).
 *
 * ```ts
 * model.compile({ loss: new BinaryCrossentropy({ fromLogits: true }), optimizer: 'adam' });
 * ```
 */
export class BinaryCrossentropy extends LossFunctionWrapper {
  static override className = 'BinaryCrossentropy';

  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis: number;

  constructor(args: BinaryCrossentropyArgs = {}) {
    const { fromLogits = false, labelSmoothing = 0, axis = -1, ...base } = args;
    super((t, p) => binaryCrossentropy(t, p, { fromLogits, labelSmoothing, axis }), {
      ...base,
      name: base.name ?? 'binary_crossentropy',
    });
    this.fromLogits = fromLogits;
    this.labelSmoothing = labelSmoothing;
    this.axis = axis;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      fromLogits: this.fromLogits,
      labelSmoothing: this.labelSmoothing,
      axis: this.axis,
    };
  }
}

register('loss', 'BinaryCrossentropy', BinaryCrossentropy, {
  aliases: ['binary_crossentropy', 'bce', 'BCE'],
});

declare module '@strata/core' {
  interface LossIds {
    BinaryCrossentropy: true;
    binary_crossentropy: true;
    binaryCrossentropy: true;
    bce: true;
    BCE: true;
  }
}
