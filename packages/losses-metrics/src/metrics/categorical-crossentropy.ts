import { type MetricArgs, register } from '@strata/core';
import {
  type CrossentropyArgs,
  crossentropyConfig,
  splitCrossentropyArgs,
} from '../losses/crossentropy-args.js';
import { categoricalCrossentropy } from '../losses/crossentropy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/** Constructor arguments of `CategoricalCrossentropy`: Keras's arguments of the same names, in camelCase. */
export interface CategoricalCrossentropyArgs extends MetricArgs, CrossentropyArgs {}

/**
 * Computes the mean categorical crossentropy between one-hot targets and predictions over every sample seen.
 *
 * Arguments: `fromLogits` (false), `labelSmoothing` (0), `axis` (-1), `name` (`'categorical_crossentropy'`),
 * `dtype`.
 *
 * Keras: `keras.metrics.CategoricalCrossentropy`
 *
 * @example
 * ```ts
 * const m = new metrics.CategoricalCrossentropy();
 * m.updateState(yTrue, yPred);
 * m.result(); // shape []
 * ```
 */
export class CategoricalCrossentropy extends MeanMetricWrapper {
  static override className = 'CategoricalCrossentropy';

  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;

  constructor(args: CategoricalCrossentropyArgs = {}) {
    const [options, base] = splitCrossentropyArgs(args);
    super((t, p) => categoricalCrossentropy(t, p, options), {
      ...base,
      name: base.name ?? 'categorical_crossentropy',
    });
    Object.assign(this, options);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...crossentropyConfig(this) };
  }
}

register('metric', 'CategoricalCrossentropy', CategoricalCrossentropy, {
  aliases: ['categorical_crossentropy'],
});

declare module '@strata/core' {
  interface MetricIds {
    CategoricalCrossentropy: true;
    categorical_crossentropy: true;
    categoricalCrossentropy: true;
  }
}
