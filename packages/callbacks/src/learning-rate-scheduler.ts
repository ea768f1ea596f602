import { Callback, type Logs, register, ValueError } from '@strata/core';

import { optimizerOf } from './learning-rate.js';
import { pyFloatRepr } from './python-format.js';

/** Takes the 0-based epoch and the current learning rate; returns the rate for that epoch. */
export type LearningRateScheduleFn = (epoch: number, learningRate: number) => number | Promise<number>;

/** Constructor arguments of `LearningRateScheduler`: Keras's arguments of the same names, in camelCase. */
export interface LearningRateSchedulerArgs {
  schedule: LearningRateScheduleFn;
  /** 1 prints the rate set at each epoch. Default 0. */
  verbose?: number;
}

/**
 * Sets the learning rate at the start of each epoch from `schedule(epoch, lr)` (Keras's
 * `LearningRateScheduler`), and adds `learning_rate` to each epoch's logs.
 *
 * Keras: `keras.callbacks.LearningRateScheduler`
 *
 * @example
 * ```ts
 * const scheduler = new LearningRateScheduler({ schedule: (epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1)) });
 * ```
 */
export class LearningRateScheduler extends Callback {
  static override className = 'LearningRateScheduler';

  readonly schedule: LearningRateScheduleFn;
  readonly verbose: number;

  constructor(args: LearningRateSchedulerArgs | LearningRateScheduleFn) {
    super();
    const a = typeof args === 'function' ? { schedule: args } : args;
    if (typeof a?.schedule !== 'function') {
      throw new ValueError(
        `\`schedule\` must be a function of (epoch, learningRate). Received: schedule=${String(a?.schedule)}`,
      );
    }
    this.schedule = a.schedule;
    this.verbose = a.verbose ?? 0;
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    const optimizer = optimizerOf(this.model, 'LearningRateScheduler');
    // Keras hands the schedule the rate as read back from its float32 variable.
    const learningRate = await this.schedule(epoch, Math.fround(optimizer.learningRate));
    if (typeof learningRate !== 'number') {
      throw new ValueError(
        `The output of the \`schedule\` function should be a float. Got: ${String(learningRate)}`,
      );
    }
    optimizer.learningRate = learningRate;
    if (this.verbose > 0) {
      console.log(
        `\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${pyFloatRepr(learningRate)}.`,
      );
    }
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.learning_rate = Math.fround(optimizerOf(this.model, 'LearningRateScheduler').learningRate);
  }
}

register('callback', 'LearningRateScheduler', LearningRateScheduler, {
  aliases: ['learning_rate_scheduler'],
});
