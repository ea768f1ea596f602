import { type LossArgs, register } from '@strata/core';

import { type CrossentropyArgs, crossentropyConfig, splitCrossentropyArgs } from './crossentropy-args.js';
import { binaryFocalCrossentropy } from './crossentropy-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

/** Constructor arguments of `BinaryFocalCrossentropy`: Keras's arguments of the same names, in camelCase. */
export interface BinaryFocalCrossentropyArgs extends LossArgs, CrossentropyArgs {
  /** Whether to weight class 1 by `alpha` and class 0 by `1 - alpha`. Default false. */
  applyClassBalancing?: boolean;
  /** Default 0.25. */
  alpha?: number;
  /** The focusing parameter: 0 gives plain binary crossentropy. Default 2. */
  gamma?: number;
}

/**
 * Computes the focal crossentropy of Lin et al. (2018) for binary targets: binary crossentropy scaled by
 * `(1 - p_t)^gamma`, which down-weights easy examples.
 *
 * Arguments: `applyClassBalancing` (false), `alpha` (0.25), `gamma` (2), `fromLogits` (false),
 * `labelSmoothing` (0), `axis` (-1), `reduction` (`'sum_over_batch_size'`), `name`
 * (`'binary_focal_crossentropy'`).
 *
 * Keras: `keras.losses.BinaryFocalCrossentropy`
 *
 * @example
 * ```ts
 * const loss = new BinaryFocalCrossentropy({ gamma: 2 });
 * loss.apply(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.4, 0.6]])); // shape []
 * ```
 */
export class BinaryFocalCrossentropy extends LossFunctionWrapper {
  static override className = 'BinaryFocalCrossentropy';

  readonly applyClassBalancing: boolean;
  readonly alpha: number;
  readonly gamma: number;
  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;

  constructor(args: BinaryFocalCrossentropyArgs = {}) {
    const [crossentropyOptions, { applyClassBalancing = false, alpha = 0.25, gamma = 2, ...base }] =
      splitCrossentropyArgs(args);
    const options = { applyClassBalancing, alpha, gamma, ...crossentropyOptions };
    super((t, p) => binaryFocalCrossentropy(t, p, options), {
      ...base,
      name: base.name ?? 'binary_focal_crossentropy',
    });
    this.applyClassBalancing = applyClassBalancing;
    this.alpha = alpha;
    this.gamma = gamma;
    Object.assign(this, crossentropyOptions);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      ...crossentropyConfig(this),
      applyClassBalancing: this.applyClassBalancing,
      alpha: this.alpha,
      gamma: this.gamma,
    };
  }
}

register('loss', 'BinaryFocalCrossentropy', BinaryFocalCrossentropy, {
  aliases: ['binary_focal_crossentropy'],
});

declare module '@strata/core' {
  interface LossIds {
    BinaryFocalCrossentropy: true;
    binary_focal_crossentropy: true;
    binaryFocalCrossentropy: true;
  }
}
