import { register } from '@strata/core';

import { PeriodicDecay, type PeriodicDecayArgs } from './periodic-decay.js';

/** Constructor arguments of `InverseTimeDecay`: Keras's arguments of the same names, in camelCase. */
export type InverseTimeDecayArgs = PeriodicDecayArgs;

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
export class InverseTimeDecay extends PeriodicDecay {
  static override className = 'InverseTimeDecay';

  constructor(args: InverseTimeDecayArgs) {
    super(args, 'InverseTimeDecay');
  }

  call(step: number): number {
    return this.initialLearningRate / (1 + this.decayRate * this.periods(step));
  }
}

register('schedule', 'InverseTimeDecay', InverseTimeDecay);

declare module '@strata/core' {
  interface ScheduleIds {
    InverseTimeDecay: true;
  }
}
