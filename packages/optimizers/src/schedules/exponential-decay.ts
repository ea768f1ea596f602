import { register } from '@strata/core';

import { PeriodicDecay, type PeriodicDecayArgs } from './periodic-decay.js';

/** Constructor arguments of `ExponentialDecay`: Keras's arguments of the same names, in camelCase. */
export type ExponentialDecayArgs = PeriodicDecayArgs;

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
export class ExponentialDecay extends PeriodicDecay {
  static override className = 'ExponentialDecay';

  constructor(args: ExponentialDecayArgs) {
    super(args, 'ExponentialDecay');
  }

  call(step: number): number {
    return this.initialLearningRate * this.decayRate ** this.periods(step);
  }
}

register('schedule', 'ExponentialDecay', ExponentialDecay);

declare module '@strata/core' {
  interface ScheduleIds {
    ExponentialDecay: true;
  }
}
