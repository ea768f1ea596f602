import { type LossArgs, register } from '@strata/core';

import { type CrossentropyArgs, crossentropyConfig, splitCrossentropyArgs } from './crossentropy-args.js';
import { categoricalFocalCrossentropy } from './crossentropy-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

/**
 * Constructor arguments of `CategoricalFocalCrossentropy`: Keras's arguments of the same names, in camelCase.
 */
export interface CategoricalFocalCrossentropyArgs extends LossArgs, CrossentropyArgs {
  /** One weight for every class, or one per class. Default 0.25. */
  alpha?: number | number[];
  /** The focusing parameter: 0 gives `alpha` times plain crossentropy. Default 2. */
  gamma?: number;
}

/**
 * Computes the alpha-balanced focal crossentropy of Lin et al. (2018) over one-hot targets:
 * `sum(-alpha * (1 - p)^gamma * y * log(p))` along `axis`.
 *
 * Arguments: `alpha` (0.25), `gamma` (2), `fromLogits` (false), `labelSmoothing` (0), `axis` (-1),
 * `reduction` (`'sum_over_batch_size'`), `name` (`'categorical_focal_crossentropy'`).
 *
 * Keras: `keras.losses.CategoricalFocalCrossentropy`
 *
 * @example
 * ```ts
 * const loss = new CategoricalFocalCrossentropy({ gamma: 2 });
 * loss.apply(yTrue, yPred); // shape []
 * ```
 */
export class CategoricalFocalCrossentropy extends LossFunctionWrapper {
  static override className = 'CategoricalFocalCrossentropy';

  readonly alpha: number | number[];
  readonly gamma: number;
  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;

  constructor(args: CategoricalFocalCrossentropyArgs = {}) {
    const [crossentropyOptions, { alpha = 0.25, gamma = 2, ...base }] = splitCrossentropyArgs(args);
    const options = { alpha, gamma, ...crossentropyOptions };
    super((t, p) => categoricalFocalCrossentropy(t, p, options), {
      ...base,
      name: base.name ?? 'categorical_focal_crossentropy',
    });
    this.alpha = alpha;
    this.gamma = gamma;
    Object.assign(this, crossentropyOptions);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...crossentropyConfig(this),
      alpha: this.alpha,
      gamma: this.gamma,
    };
  }
}

register('loss', 'CategoricalFocalCrossentropy', CategoricalFocalCrossentropy, {
  aliases: ['categorical_focal_crossentropy'],
});

declare module '@strata/core' {
  interface LossIds {
    CategoricalFocalCrossentropy: true;
    categorical_focal_crossentropy: true;
    categoricalFocalCrossentropy: true;
  }
}
