import { register } from '@strata/core';

import { BaseConfusionCount, type ConfusionCountArgs } from './base-confusion-count.js';

/**
 * Counts the (weighted) false positives (predicted positive, actually negative) at each threshold: a prediction is positive when it is above the
 * threshold, a target when it is nonzero.
 *
 * Arguments: `thresholds` (0.5; a list gives one count per threshold), `name` (`'false_positives'`), `dtype`.
 *
 * Keras: `keras.metrics.FalsePositives`
 *
 * @example
 * ```ts
 * const m = new FalsePositives();
 * m.updateState(tf.tensor1d([0, 1, 0]), tf.tensor1d([0.8, 0.9, 0.3]));
 * m.result(); // shape []
 * ```
 */
export class FalsePositives extends BaseConfusionCount {
  static override className = 'FalsePositives';

  protected readonly condition = 'falsePositives' as const;

  constructor(args: ConfusionCountArgs = {}) {
    super(args, 'false_positives');
  }
}

register('metric', 'FalsePositives', FalsePositives, { aliases: ['false_positives'] });

declare module '@strata/core' {
  interface MetricIds {
    FalsePositives: true;
    false_positives: true;
    falsePositives: true;
  }
}
