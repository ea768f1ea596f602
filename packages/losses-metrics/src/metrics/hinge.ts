import { type MetricArgs, register } from '@strata/core';

import { hinge } from '../losses/hinge-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Computes the mean hinge loss over every sample seen (0/1 labels are mapped to -1/1).
 *
 * Arguments: `name` (default `'hinge'`), `dtype`.
 *
 * Keras: `keras.metrics.Hinge`
 *
 * @example
 * ```ts
 * const m = new Hinge();
 * m.updateState(yTrue, yPred);
 * m.result(); // a scalar tensor
 * ```
 */
export class Hinge extends MeanMetricWrapper {
  static override className = 'Hinge';

  constructor(args: MetricArgs = {}) {
    super(hinge, { ...args, name: args.name ?? 'hinge' });
  }
}

register('metric', 'Hinge', Hinge, { aliases: ['hinge'] });

declare module '@strata/core' {
  interface MetricIds {
    Hinge: true;
    hinge: true;
  }
}
