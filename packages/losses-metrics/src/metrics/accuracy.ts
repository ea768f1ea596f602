import { type MetricArgs, register } from '@strata/core';

import { accuracy } from './accuracy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes how often predictions equal targets exactly (useful for integer predictions). For the usual
 * classification accuracy write `'accuracy'` in `compile`, which picks the binary, categorical or sparse
 * variant from the shapes, or use those classes directly.
 *
 * Arguments: `name` (default `'accuracy'`), `dtype`.
 *
 * Keras: `keras.metrics.Accuracy`
 *
 * @example
 * ```ts
 * const m = new Accuracy();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class Accuracy extends MeanMetricWrapper {
  static override className = 'Accuracy';

  constructor(args: MetricArgs = {}) {
    super(accuracy, { ...args, name: args.name ?? 'accuracy' });
  }
}

register('metric', 'Accuracy', Accuracy);

declare module '@strata/core' {
  interface MetricIds {
    Accuracy: true;
  }
}
