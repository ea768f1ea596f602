import { type LossArgs, register } from '@strata/core';
import { crossentropyConfig, splitCrossentropyArgs } from './crossentropy-args.js';
import { categoricalCrossentropy } from './crossentropy-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

/** Constructor arguments of `CategoricalCrossentropy`: Keras's arguments of the same names, in camelCase. */
export interface CategoricalCrossentropyArgs extends LossArgs {
  /** Whether `yPred` holds logits rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** In [0, 1]: targets become `y * (1 - s) + s / numClasses`. Default 0. */
  labelSmoothing?: number;
  /** The class axis. Default -1. */
  axis?: number;
}

/**
 * Computes the crossentropy between one-hot targets and predicted class probabilities (or logits with
 * `fromLogits: true`). Probabilities are renormalized along `axis` and clipped to `[1e-7, 1 - 1e-7]`. For
 * integer class ids use `SparseCategoricalCrossentropy`.
 *
 * Arguments: `fromLogits` (false), `labelSmoothing` (0), `axis` (-1), `reduction`
 * (`'sum_over_batch_size'`), `name` (`'categorical_crossentropy'`).
 * Shapes: `yTrue` and `yPred` both `[batch, numClasses]` (or more axes); per-sample values `[batch]`.
 *
 * Keras: `keras.losses.CategoricalCrossentropy`
 *
 * @example
 * ```ts
 * const loss = new losses.CategoricalCrossentropy({ labelSmoothing: 0.1 });
 * loss.apply(yTrue, yPred); // shape []
 * model.compile({ optimizer: 'adam', loss });
 * ```
 */
export class CategoricalCrossentropy extends LossFunctionWrapper {
  static override className = 'CategoricalCrossentropy';

  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;

  constructor(args: CategoricalCrossentropyArgs = {}) {
    const [options, base] = splitCrossentropyArgs(args);
    super((t, p) => categoricalCrossentropy(t, p, options), {
      ...base,
      name: base.name ?? 'categorical_crossentropy',
    });
    Object.assign(this, options);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...crossentropyConfig(this) };
  }
}

register('loss', 'CategoricalCrossentropy', CategoricalCrossentropy, {
  aliases: ['categorical_crossentropy'],
});

declare module '@strata/core' {
  interface LossIds {
    CategoricalCrossentropy: true;
    categorical_crossentropy: true;
    categoricalCrossentropy: true;
  }
}
