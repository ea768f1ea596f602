import { register } from '@strata/core';

import { BaseConfusionCount, type ConfusionCountArgs } from './base-confusion-count.js';

/**
 * Counts the (weighted) true negatives (predicted negative, actually negative) at each threshold: a prediction is positive when it is above the
 * threshold, a target when it is nonzero.
 *
 * Arguments: `thresholds` (0.5; a list gives one count per threshold), `name` (`'true_negatives'`), `dtype`.
 *
 * Keras: `keras.metrics.TrueNegatives`
 *
 * @example
 * ```ts
 * const m = new TrueNegatives();
 * m.updateState(tf.tensor1d([0, 1, 0]), tf.tensor1d([0.2, 0.9, 0.3]));
 * m.result(); // shape []
 * ```
 */
export class TrueNegatives extends BaseConfusionCount {
  static override className = 'TrueNegatives';

  protected readonly condition = 'trueNegatives' as const;

  constructor(args: ConfusionCountArgs = {}) {
    super(args, 'true_negatives');
  }
}

register('metric', 'TrueNegatives', TrueNegatives, { aliases: ['true_negatives'] });

declare module '@strata/core' {
  interface MetricIds {
    TrueNegatives: true;
    true_negatives: true;
    trueNegatives: true;
  }
}
