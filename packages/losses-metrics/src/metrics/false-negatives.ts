import { register } from '@strata/core';

import { BaseConfusionCount, type ConfusionCountArgs } from './base-confusion-count.js';

/**
 * Counts the (weighted) false negatives (predicted negative, actually positive) at each threshold: a prediction is positive when it is above the
 * threshold, a target when it is nonzero.
 *
 * Arguments: `thresholds` (0.5; a list gives one count per threshold), `name` (`'false_negatives'`), `dtype`.
 *
 * Keras: `keras.metrics.FalseNegatives`
 *
 * @example
 * ```ts
 * const m = new FalseNegatives();
 * m.updateState(tf.tensor1d([0, 1, 1]), tf.tensor1d([0.2, 0.9, 0.3]));
 * m.result(); // shape []
 * ```
 */
export class FalseNegatives extends BaseConfusionCount {
  static override className = 'FalseNegatives';

  protected readonly condition = 'falseNegatives' as const;

  constructor(args: ConfusionCountArgs = {}) {
    super(args, 'false_negatives');
  }
}

register('metric', 'FalseNegatives', FalseNegatives, { aliases: ['false_negatives'] });

declare module '@strata/core' {
  interface MetricIds {
    FalseNegatives: true;
    false_negatives: true;
    falseNegatives: true;
  }
}
