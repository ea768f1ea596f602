import { LearningRateSchedule, register } from '@strata/core';

import { checkNonNegative, checkPositive } from '../check-args.js';

/** Constructor arguments of `PolynomialDecay`: Keras's arguments of the same names, in camelCase. */
export interface PolynomialDecayArgs {
  initialLearningRate: number;
  /** Steps to reach `endLearningRate`; > 0. */
  decaySteps: number;
  /** Default 0.0001. */
  endLearningRate?: number;
  /** The power of the polynomial. Default 1. */
  power?: number;
  /** Restart past `decaySteps`, stretching the period to the next multiple of it. Default false. */
  cycle?: boolean;
  name?: string;
}

/**
 * A polynomial decay from `initialLearningRate` to `endLearningRate` over `decaySteps` (Keras's
 * `PolynomialDecay`):
 * `(initial - end) * (1 - min(step, decay_steps) / decay_steps) ^ power + end`. With `cycle`, the
 * period becomes `decay_steps * ceil(step / decay_steps)` (1 period at step 0).
 *
 * Keras: `keras.optimizers.schedules.PolynomialDecay`
 *
 * @example
 * ```ts
 * const lr = new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10000, endLearningRate: 0.01, power: 0.5 });
 * ```
 */
export class PolynomialDecay extends LearningRateSchedule {
  static override className = 'PolynomialDecay';

  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;

  constructor(args: PolynomialDecayArgs) {
    super();
    this.initialLearningRate = checkNonNegative('initial_learning_rate', args.initialLearningRate);
    this.decaySteps = checkPositive('decay_steps', args.decaySteps);
    this.endLearningRate = checkNonNegative('end_learning_rate', args.endLearningRate ?? 0.0001);
    this.power = args.power ?? 1.0;
    this.cycle = args.cycle ?? false;
    this.name = args.name ?? 'PolynomialDecay';
  }

  call(step: number): number {
    let decaySteps = this.decaySteps;
    if (this.cycle) decaySteps *= step === 0 ? 1 : Math.ceil(step / this.decaySteps);
    else step = Math.min(step, decaySteps);
    const p = step / decaySteps;
    return (this.initialLearningRate - this.endLearningRate) * (1 - p) ** this.power + this.endLearningRate;
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      endLearningRate: this.endLearningRate,
      power: this.power,
      cycle: this.cycle,
      name: this.name,
    };
  }
}

register('schedule', 'PolynomialDecay', PolynomialDecay);

declare module '@strata/core' {
  interface ScheduleIds {
    PolynomialDecay: true;
  }
}
