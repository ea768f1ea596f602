import { LearningRateSchedule, register } from '@strata/core';

import { checkNonNegative, checkPositive } from '../check-args.js';

/** Constructor arguments of `InverseTimeDecay`: Keras's arguments of the same names, in camelCase. */
export interface InverseTimeDecayArgs {
  initialLearningRate: number;
  /** How often to apply decay; > 0. */
  decaySteps: number;
  decayRate: number;
  /** Decay at whole periods only. Default false. */
  staircase?: boolean;
  name?: string;
}

/**
 * An inverse time decay (Keras's `InverseTimeDecay`):
 * `initial_learning_rate / (1 + decay_rate * step / decay_steps)`, with `step / decay_steps` floored
 * when `staircase` is set.
 *
 * Keras: `keras.optimizers.schedules.InverseTimeDecay`
 *
 * @example
 * ```ts
 * const lr = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 });
 * ```
 */
export class InverseTimeDecay extends LearningRateSchedule {
  static override className = 'InverseTimeDecay';

  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(args: InverseTimeDecayArgs) {
    super();
    this.initialLearningRate = checkNonNegative('initial_learning_rate', args.initialLearningRate);
    this.decaySteps = checkPositive('decay_steps', args.decaySteps);
    this.decayRate = checkNonNegative('decay_rate', args.decayRate);
    this.staircase = args.staircase ?? false;
    this.name = args.name ?? 'InverseTimeDecay';
  }

  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate / (1 + this.decayRate * p);
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

register('schedule', 'InverseTimeDecay', InverseTimeDecay);

declare module '@strata/core' {
  interface ScheduleIds {
    InverseTimeDecay: true;
  }
}
