import { LearningRateSchedule, register, ValueError } from '@strata/core';

/** Constructor arguments of `PiecewiseConstantDecay`: Keras's arguments of the same names, in camelCase. */
export interface PiecewiseConstantDecayArgs {
  /** Strictly increasing step boundaries. */
  boundaries: number[];
  /** One more value than boundaries: the learning rate in each interval. */
  values: number[];
  name?: string;
}

/**
 * A piecewise constant learning rate (Keras's `PiecewiseConstantDecay`): `values[0]` while
 * `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <= boundaries[i]`, and the last
 * value after the last boundary.
 *
 * Keras: `keras.optimizers.schedules.PiecewiseConstantDecay`
 *
 * @example
 * ```ts
 * const lr = new PiecewiseConstantDecay({ boundaries: [100000, 110000], values: [1.0, 0.5, 0.1] });
 * ```
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  static override className = 'PiecewiseConstantDecay';

  readonly boundaries: number[];
  readonly values: number[];
  readonly name: string;

  constructor(args: PiecewiseConstantDecayArgs) {
    super();
    const { boundaries, values } = args;
    if (!Array.isArray(boundaries) || !Array.isArray(values) || boundaries.length !== values.length - 1) {
      throw new ValueError(
        'The length of boundaries should be 1 less than the length of values. ' +
          `Received: boundaries=${JSON.stringify(boundaries)} of length ${boundaries?.length}, ` +
          `and values=${JSON.stringify(values)} of length ${values?.length}.`,
      );
    }
    for (let i = 1; i < boundaries.length; i++) {
      if (!(boundaries[i] > boundaries[i - 1])) {
        throw new ValueError(
          `\`boundaries\` must be strictly increasing. Received: boundaries=${JSON.stringify(boundaries)}`,
        );
      }
    }
    this.boundaries = boundaries.slice();
    this.values = values.slice();
    this.name = args.name ?? 'PiecewiseConstant';
  }

  call(step: number): number {
    const i = this.boundaries.findIndex((b) => step <= b);
    return this.values[i === -1 ? this.values.length - 1 : i];
  }

  getConfig(): Record<string, unknown> {
    return { boundaries: this.boundaries.slice(), values: this.values.slice(), name: this.name };
  }
}

register('schedule', 'PiecewiseConstantDecay', PiecewiseConstantDecay);

declare module '@strata/core' {
  interface ScheduleIds {
    PiecewiseConstantDecay: true;
  }
}
