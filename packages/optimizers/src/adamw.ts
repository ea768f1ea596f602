import { register, ValueError } from '@strata/core';

import { Adam, type AdamArgs } from './adam.js';

/**
 * Adam with decoupled weight decay (Keras's `AdamW`; Loshchilov and Hutter, 2019): before each update,
 * `w = w - w * weight_decay * learning_rate`, then Adam's rule. The decay runs first, in the base
 * optimizer, on every backend; Adam's rule then takes the one-pass `StrataAdamUpdate` kernel where
 * `@strata/backends` registers it, as Adam does.
 *
 * Arguments: those of `Adam`, with `weightDecay` defaulting to 0.004 (it may not be null) and `name`
 * to 'adamw'.
 *
 * Keras: `keras.optimizers.AdamW`
 *
 * @example
 * ```ts
 * const opt = new AdamW({ learningRate: 1e-3, weightDecay: 0.01 });
 * opt.excludeFromWeightDecay({ varNames: ['bias'] });
 * ```
 */
export class AdamW extends Adam {
  static override className = 'AdamW';

  constructor(args: AdamArgs = {}) {
    if (args.weightDecay === null) {
      throw new ValueError('Argument `weight_decay` must be a float. Received: weight_decay=None');
    }
    super({ ...args, weightDecay: args.weightDecay ?? 0.004, name: args.name ?? 'adamw' });
  }
}

register('optimizer', 'AdamW', AdamW, { aliases: ['adamw'] });

declare module '@strata/core' {
  interface OptimizerIds {
    AdamW: true;
    adamw: true;
  }
}
