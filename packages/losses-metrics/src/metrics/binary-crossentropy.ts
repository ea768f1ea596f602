import { type MetricArgs, register } from '@strata/core';

import { binaryCrossentropy } from '../losses/crossentropy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/** Constructor arguments of `BinaryCrossentropy`: Keras's arguments of the same names, in camelCase. */
export interface BinaryCrossentropyArgs extends MetricArgs {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

/**
 * Computes the mean binary crossentropy between 0/1 targets and predictions over every sample seen.
 *
 * Arguments: `fromLogits` (false), `labelSmoothing` (0), `name` (`'binary_crossentropy'`), `dtype`.
 *
 * Keras: `keras.metrics.BinaryCrossentropy`
 *
 * @example
 * ```ts
 * const m = new metrics.BinaryCrossentropy();
 * m.updateState(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.4, 0.6]]));
 * m.result(); // shape []
 * ```
 */
export class BinaryCrossentropy extends MeanMetricWrapper {
  static override className = 'BinaryCrossentropy';

  readonly fromLogits: boolean;
  readonly labelSmoothing: number;

  constructor(args: BinaryCrossentropyArgs = {}) {
    const { fromLogits = false, labelSmoothing = 0, ...base } = args;
    super((t, p) => binaryCrossentropy(t, p, { fromLogits, labelSmoothing }), {
      ...base,
      name: base.name ?? 'binary_crossentropy',
    });
    this.fromLogits = fromLogits;
    this.labelSmoothing = labelSmoothing;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

register('metric', 'BinaryCrossentropy', BinaryCrossentropy, {
  aliases: ['binary_crossentropy', 'bce', 'BCE'],
});

declare module '@strata/core' {
  interface MetricIds {
    BinaryCrossentropy: true;
    binary_crossentropy: true;
    binaryCrossentropy: true;
    bce: true;
    BCE: true;
  }
}
