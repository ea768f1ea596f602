import { type MetricArgs, register } from '@strata/core';

import { sparseCategoricalCrossentropy } from '../losses/crossentropy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Constructor arguments of `SparseCategoricalCrossentropy`: Keras's arguments of the same names, in
 * camelCase.
 */
export interface SparseCategoricalCrossentropyArgs extends MetricArgs {
  fromLogits?: boolean;
  axis?: number;
}

/**
 * Computes the mean crossentropy between integer class ids and predictions over every sample seen.
 *
 * Arguments: `fromLogits` (false), `axis` (-1), `name` (`'sparse_categorical_crossentropy'`), `dtype`.
 *
 * Keras: `keras.metrics.SparseCategoricalCrossentropy`
 *
 * @example
 * ```ts
 * const m = new metrics.SparseCategoricalCrossentropy();
 * m.updateState(tf.tensor1d([1, 2]), tf.tensor2d([[0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]));
 * m.result(); // shape []
 * ```
 */
export class SparseCategoricalCrossentropy extends MeanMetricWrapper {
  static override className = 'SparseCategoricalCrossentropy';

  readonly fromLogits: boolean;
  readonly axis: number;

  constructor(args: SparseCategoricalCrossentropyArgs = {}) {
    const { fromLogits = false, axis = -1, ...base } = args;
    super((t, p) => sparseCategoricalCrossentropy(t, p, { fromLogits, axis }), {
      ...base,
      name: base.name ?? 'sparse_categorical_crossentropy',
    });
    this.fromLogits = fromLogits;
    this.axis = axis;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, axis: this.axis };
  }
}

register('metric', 'SparseCategoricalCrossentropy', SparseCategoricalCrossentropy, {
  aliases: ['sparse_categorical_crossentropy'],
});

declare module '@strata/core' {
  interface MetricIds {
    SparseCategoricalCrossentropy: true;
    sparse_categorical_crossentropy: true;
    sparseCategoricalCrossentropy: true;
  }
}
