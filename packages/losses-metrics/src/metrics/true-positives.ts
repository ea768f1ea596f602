import { register } from '@strata/core';

import { BaseConfusionCount, type ConfusionCountArgs } from './base-confusion-count.js';

/**
 * Counts the (weighted) true positives (predicted positive, actually positive) at each threshold: a prediction is positive when it is above the
 * threshold, a target when it is nonzero.
 *
 * Arguments: `thresholds` (0.5; a list gives one count per threshold), `name` (`'true_positives'`), `dtype`.
 *
 * Keras: `keras.metrics.TruePositives`
 *
 * @example
 * ```ts
 * const m = new TruePositives({ thresholds: 0.5 });
 * m.updateState(tf.tensor1d([0, 1, 1]), tf.tensor1d([0.2, 0.9, 0.3]));
 * m.result(); // shape []
 * ```
 */
export class TruePositives extends BaseConfusionCount {
  static override className = 'TruePositives';

  protected readonly condition = 'truePositives' as const;

  constructor(args: ConfusionCountArgs = {}) {
    super(args, 'true_positives');
  }
}

register('metric', 'TruePositives', TruePositives, { aliases: ['true_positives'] });

declare module '@strata/core' {
  interface MetricIds {
    TruePositives: true;
    true_positives: true;
    truePositives: true;
  }
}
