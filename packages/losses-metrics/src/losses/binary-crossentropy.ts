import { type LossArgs, register } from '@strata/core';
import { crossentropyConfig, splitCrossentropyArgs } from './crossentropy-args.js';
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
 * Keras: `keras.losses.BinaryCrossentropy`
 *
 * @example
 * ```ts
 * model.compile({ loss: new BinaryCrossentropy({ fromLogits: true }), optimizer: 'adam' });
 * ```
 */
export class BinaryCrossentropy extends LossFunctionWrapper {
  static override className = 'BinaryCrossentropy';

  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;

  constructor(args: BinaryCrossentropyArgs = {}) {
    const [options, base] = splitCrossentropyArgs(args);
    super((t, p) => binaryCrossentropy(t, p, options), {
      ...base,
      name: base.name ?? 'binary_crossentropy',
    });
    Object.assign(this, options);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...crossentropyConfig(this) };
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
