import { type MetricArgs, register } from '@strata/core';

import { topKCategoricalAccuracy } from './accuracy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/** Constructor arguments of `TopKCategoricalAccuracy`: Keras's arguments of the same names, in camelCase. */
export interface TopKCategoricalAccuracyArgs extends MetricArgs {
  /** How many of the top predictions may hold the target. Default 5. */
  k?: number;
}

/**
 * Computes how often the target class of one-hot targets is among the `k` highest predictions (ties at the
 * boundary count as hits).
 *
 * Arguments: `k` (5), `name` (`'top_k_categorical_accuracy'`), `dtype`.
 *
 * Keras: `keras.metrics.TopKCategoricalAccuracy`
 *
 * @example
 * ```ts
 * const m = new TopKCategoricalAccuracy({ k: 2 });
 * m.updateState(yTrue, yPred);
 * m.result(); // shape []
 * ```
 */
export class TopKCategoricalAccuracy extends MeanMetricWrapper {
  static override className = 'TopKCategoricalAccuracy';

  readonly k: number;

  constructor(args: TopKCategoricalAccuracyArgs = {}) {
    const { k = 5, ...base } = args;
    super((t, p) => topKCategoricalAccuracy(t, p, k), {
      ...base,
      name: base.name ?? 'top_k_categorical_accuracy',
    });
    this.k = k;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), k: this.k };
  }
}

// The registry's automatic camelCase lookup splits 'topK' wrongly, so the camelCase id is listed.
register('metric', 'TopKCategoricalAccuracy', TopKCategoricalAccuracy, {
  aliases: ['top_k_categorical_accuracy', 'topKCategoricalAccuracy'],
});

declare module '@strata/core' {
  interface MetricIds {
    TopKCategoricalAccuracy: true;
    top_k_categorical_accuracy: true;
    topKCategoricalAccuracy: true;
  }
}
