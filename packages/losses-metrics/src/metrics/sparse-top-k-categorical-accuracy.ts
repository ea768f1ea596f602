import { type MetricArgs, register } from '@strata/core';

import { sparseTopKCategoricalAccuracy } from './accuracy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Constructor arguments of `SparseTopKCategoricalAccuracy`: Keras's arguments of the same names, in
 * camelCase.
 */
export interface SparseTopKCategoricalAccuracyArgs extends MetricArgs {
  /** How many of the top predictions may hold the target. Default 5. */
  k?: number;
  /** Whether `yPred` holds class ids sorted by score instead of scores. Default false. */
  fromSortedIds?: boolean;
}

/**
 * Computes how often the integer target class is among the `k` highest predictions (ties at the boundary
 * count as hits).
 *
 * Arguments: `k` (5), `fromSortedIds` (false), `name` (`'sparse_top_k_categorical_accuracy'`), `dtype`.
 *
 * Keras: `keras.metrics.SparseTopKCategoricalAccuracy`
 *
 * @example
 * ```ts
 * const m = new SparseTopKCategoricalAccuracy({ k: 2 });
 * m.updateState(tf.tensor1d([1, 2]), tf.tensor2d([[0.1, 0.8, 0.1], [0.5, 0.3, 0.2]]));
 * m.result(); // shape []
 * ```
 */
export class SparseTopKCategoricalAccuracy extends MeanMetricWrapper {
  static override className = 'SparseTopKCategoricalAccuracy';

  readonly k: number;
  readonly fromSortedIds: boolean;

  constructor(args: SparseTopKCategoricalAccuracyArgs = {}) {
    const { k = 5, fromSortedIds = false, ...base } = args;
    super((t, p) => sparseTopKCategoricalAccuracy(t, p, k, fromSortedIds), {
      ...base,
      name: base.name ?? 'sparse_top_k_categorical_accuracy',
    });
    this.k = k;
    this.fromSortedIds = fromSortedIds;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k, fromSortedIds: this.fromSortedIds };
  }
}

// The registry's automatic camelCase lookup splits 'topK' wrongly, so the camelCase id is listed.
register('metric', 'SparseTopKCategoricalAccuracy', SparseTopKCategoricalAccuracy, {
  aliases: ['sparse_top_k_categorical_accuracy', 'sparseTopKCategoricalAccuracy'],
});

declare module '@strata/core' {
  interface MetricIds {
    SparseTopKCategoricalAccuracy: true;
    sparse_top_k_categorical_accuracy: true;
    sparseTopKCategoricalAccuracy: true;
  }
}
