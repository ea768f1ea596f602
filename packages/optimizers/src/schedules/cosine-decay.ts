import { LearningRateSchedule, register } from '@strata/core';

import { checkNonNegative, checkPositive } from '../check-args.js';

/** Constructor arguments of `CosineDecay`: Keras's arguments of the same names, in camelCase. */
export interface CosineDecayArgs {
  initialLearningRate: number;
  /** Steps to decay over; > 0. */
  decaySteps: number;
  /** The final learning rate as a fraction of the decay's starting rate. Default 0. */
  alpha?: number;
  name?: string;
  /** Warm up linearly from `initialLearningRate` to this rate, then decay from it. Default null (no warmup). */
  warmupTarget?: number | null;
  /** Steps to warm up over. Default 0. */
  warmupSteps?: number;
}

/**
 * A cosine decay with an optional linear warmup (Keras's `CosineDecay`; Loshchilov and Hutter, 2016).
 *
 * Without warmup: `initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)`.
 * With `warmupTarget`, the rate first rises linearly from `initialLearningRate` to `warmupTarget` over
 * `warmupSteps`, then decays from `warmupTarget` as above over the next `decaySteps`.
 *
 * Keras: `keras.optimizers.schedules.CosineDecay`
 *
 * @example
 * ```ts
 * const lr = new CosineDecay({ initialLearningRate: 0, decaySteps: 1000, warmupTarget: 0.1, warmupSteps: 100 });
 * ```
 */
export class CosineDecay extends LearningRateSchedule {
  static override className = 'CosineDecay';

  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly name: string;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(args: CosineDecayArgs) {
    super();
    this.initialLearningRate = checkNonNegative('initial_learning_rate', args.initialLearningRate);
    this.decaySteps = checkPositive('decay_steps', args.decaySteps);
    this.alpha = checkNonNegative('alpha', args.alpha ?? 0);
    this.name = args.name ?? 'CosineDecay';
    this.warmupTarget =
      args.warmupTarget == null ? null : checkNonNegative('warmup_target', args.warmupTarget);
    this.warmupSteps = checkNonNegative('warmup_steps', args.warmupSteps ?? 0);
  }

  call(step: number): number {
    if (this.warmupTarget == null)
      return this.decayed(Math.min(step, this.decaySteps), this.initialLearningRate);
    step = Math.min(step, this.decaySteps + this.warmupSteps);
    if (step < this.warmupSteps) {
      return (
        (this.warmupTarget - this.initialLearningRate) * (step / this.warmupSteps) + this.initialLearningRate
      );
    }
    return this.decayed(step - this.warmupSteps, this.warmupTarget);
  }

  private decayed(step: number, from: number): number {
    const cosine = 0.5 * (1 + Math.cos((Math.PI * step) / this.decaySteps));
    return from * ((1 - this.alpha) * cosine + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      name: this.name,
      warmupTarget: this.warmupTarget,
      warmupSteps: this.warmupSteps,
    };
  }
}

register('schedule', 'CosineDecay', CosineDecay);

declare module '@strata/core' {
  interface ScheduleIds {
    CosineDecay: true;
  }
}
