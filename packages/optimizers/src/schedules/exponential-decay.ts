import { LearningRateSchedule, register } from '@strata/core';

import { checkNonNegative, checkPositive } from '../check-args.js';

/** Constructor arguments of `ExponentialDecay`: Keras's arguments of the same names, in camelCase. */
export interface ExponentialDecayArgs {
  /** The initial learning rate. */
  initialLearningRate: number;
  /** Steps per decay period; > 0. */
  decaySteps: number;
  /** The factor applied per period. */
  decayRate: number;
  /** Decay at whole periods only (integer division of step by decaySteps). Default false. */
  staircase?: boolean;
  name?: string;
}

/**
 * An exponential decay (Keras's `ExponentialDecay`):
 * `initial_learning_rate * decay_rate ^ (step / decay_steps)`, with the exponent floored when
 * `staircase` is set.
 *
 * Keras: `keras.optimizers.schedules.ExponentialDecay`
 *
 * @example
 * ```ts
 * const lr = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96, staircase: true });
 * const opt = new SGD({ learningRate: lr });
 * ```
 */
export class ExponentialDecay extends LearningRateSchedule {
  static override className = 'ExponentialDecay';

  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(args: ExponentialDecayArgs) {
    super();
    this.initialLearningRate = checkNonNegative('initial_learning_rate', args.initialLearningRate);
    this.decaySteps = checkPositive('decay_steps', args.decaySteps);
    this.decayRate = checkNonNegative('decay_rate', args.decayRate);
    this.staircase = args.staircase ?? false;
    this.name = args.name ?? 'ExponentialDecay';
  }

  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate * this.decayRate ** p;
  }

  getConfig(): Record<string, unknown> {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      decayRate: this.decayRate,
      staircase: this.staircase,
      name: this.name,
    };
  }
}

register('schedule', 'ExponentialDecay', ExponentialDecay);

declare module '@strata/core' {
  interface ScheduleIds {
    ExponentialDecay: true;
  }
}
