import { LearningRateSchedule, register } from '@strata/core';

import { checkNonNegative, checkPositive } from '../check-args.js';

/** Constructor arguments of `CosineDecayRestarts`: Keras's arguments of the same names, in camelCase. */
export interface CosineDecayRestartsArgs {
  initialLearningRate: number;
  /** Steps in the first period; > 0. */
  firstDecaySteps: number;
  /** Each period is `tMul` times longer than the one before. Default 2. */
  tMul?: number;
  /** Each period starts at `mMul` times the previous period's starting rate. Default 1. */
  mMul?: number;
  /** The minimum rate as a fraction of `initialLearningRate`. Default 0. */
  alpha?: number;
  name?: string;
}

/**
 * A cosine decay with warm restarts (Keras's `CosineDecayRestarts`; SGDR, Loshchilov and Hutter, 2016):
 * the multiplier decays from 1 to `alpha` over `firstDecaySteps`, then restarts; period `i` lasts
 * `firstDecaySteps * tMul^i` steps and starts at `mMul^i`.
 *
 * Keras: `keras.optimizers.schedules.CosineDecayRestarts`
 *
 * @example
 * ```ts
 * const lr = new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 1000 });
 * ```
 */
export class CosineDecayRestarts extends LearningRateSchedule {
  static override className = 'CosineDecayRestarts';

  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  readonly name: string;

  constructor(args: CosineDecayRestartsArgs) {
    super();
    this.initialLearningRate = checkNonNegative('initial_learning_rate', args.initialLearningRate);
    this.firstDecaySteps = checkPositive('first_decay_steps', args.firstDecaySteps);
    this.tMul = checkPositive('t_mul', args.tMul ?? 2.0);
    this.mMul = checkNonNegative('m_mul', args.mMul ?? 1.0);
    this.alpha = checkNonNegative('alpha', args.alpha ?? 0);
    this.name = args.name ?? 'SGDRDecay';
  }

  call(step: number): number {
    let fraction = step / this.firstDecaySteps;
    let restart: number;
    if (this.tMul === 1) {
      restart = Math.floor(fraction);
      fraction -= restart;
    } else {
      // Periods grow geometrically: find the period the step falls in, then the fraction of it done.
      restart = Math.floor(Math.log(1 - fraction * (1 - this.tMul)) / Math.log(this.tMul));
      const elapsed = (1 - this.tMul ** restart) / (1 - this.tMul);
      fraction = (fraction - elapsed) / this.tMul ** restart;
    }
    const cosine = 0.5 * this.mMul ** restart * (1 + Math.cos(Math.PI * fraction));
    return this.initialLearningRate * ((1 - this.alpha) * cosine + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      firstDecaySteps: this.firstDecaySteps,
      tMul: this.tMul,
      mMul: this.mMul,
      alpha: this.alpha,
      name: this.name,
    };
  }
}

register('schedule', 'CosineDecayRestarts', CosineDecayRestarts);

declare module '@strata/core' {
  interface ScheduleIds {
    CosineDecayRestarts: true;
  }
}
