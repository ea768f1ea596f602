import { type LossArgs, register } from '@strata/core';

import { binaryFocalCrossentropy } from './crossentropy-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';

export interface BinaryFocalCrossentropyArgs extends LossArgs {
  /** Whether to weight class 1 by `alpha` and class 0 by `1 - alpha`. Default false. */
  applyClassBalancing?: boolean;
  /** Default 0.25. */
  alpha?: number;
  /** The focusing parameter: 0 gives plain binary crossentropy. Default 2. */
  gamma?: number;
  fromLogits?: boolean;
  labelSmoothing?: number;
  axis?: number;
}

/**
 * Computes the focal crossentropy of Lin et al. (2018) for binary targets: binary crossentropy scaled by
 * `(1 - p_t)^gamma`, which down-weights easy examples.
 *
 * Arguments: `applyClassBalancing` (false), `alpha` (0.25), `gamma` (2), `fromLogits` (false),
 * `labelSmoothing` (0), `axis` (-1), `reduction` (`'sum_over_batch_size'`), `name`
 * (`'binary_focal_crossentropy'`).
 */
export class BinaryFocalCrossentropy extends LossFunctionWrapper {
  static override className = 'BinaryFocalCrossentropy';

  readonly applyClassBalancing: boolean;
  readonly alpha: number;
  readonly gamma: number;
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis: number;

  constructor(args: BinaryFocalCrossentropyArgs = {}) {
    const {
      applyClassBalancing = false,
      alpha = 0.25,
      gamma = 2,
      fromLogits = false,
      labelSmoothing = 0,
      axis = -1,
      ...base
    } = args;
    const options = { applyClassBalancing, alpha, gamma, fromLogits, labelSmoothing, axis };
    super((t, p) => binaryFocalCrossentropy(t, p, options), {
      ...base,
      name: base.name ?? 'binary_focal_crossentropy',
    });
    this.applyClassBalancing = applyClassBalancing;
    this.alpha = alpha;
    this.gamma = gamma;
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
