import { LearningRateSchedule } from '@strata/core';

import { checkNonNegative, checkPositive } from '../check-args.js';

/** Constructor arguments of the schedules that decay per period of `decaySteps` (ExponentialDecay, InverseTimeDecay). */
export interface PeriodicDecayArgs {
  /** The initial learning rate. */
  initialLearningRate: number;
  /** Steps per decay period; > 0. */
  decaySteps: number;
  /** How strongly each period decays the rate. */
  decayRate: number;
  /** Decay at whole periods only (integer division of step by decaySteps). Default false. */
  staircase?: boolean;
  name?: string;
}

/**
 * The arguments, checks and config that ExponentialDecay and InverseTimeDecay share (in Keras each writes them
 * out): a subclass computes the rate from `periods(step)`.
 *
 * @example
 * ```ts
 * // The base of ExponentialDecay and InverseTimeDecay.
 * const lr: PeriodicDecay = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
 * lr.call(10); // 0.05
 * ```
 */
export abstract class PeriodicDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(args: PeriodicDecayArgs, defaultName: string) {
    super();
    this.initialLearningRate = checkNonNegative('initial_learning_rate', args.initialLearningRate);
    this.decaySteps = checkPositive('decay_steps', args.decaySteps);
    this.decayRate = checkNonNegative('decay_rate', args.decayRate);
    this.staircase = args.staircase ?? false;
    this.name = args.name ?? defaultName;
  }

  /** `step / decaySteps`, floored when `staircase` is set. */
  protected periods(step: number): number {
    const p = step / this.decaySteps;
    return this.staircase ? Math.floor(p) : p;
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
