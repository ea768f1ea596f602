import { type MetricArgs, register } from '@strata/core';

import { categoricalCrossentropy } from '../losses/crossentropy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

export interface CategoricalCrossentropyArgs extends MetricArgs {
  fromLogits?: boolean;
  labelSmoothing?: number;
  axis?: number;
}

/**
 * Computes the mean categorical crossentropy between one-hot targets and predictions over every sample seen.
 *
 * Arguments: `fromLogits` (false), `labelSmoothing` (0), `axis` (-1), `name` (`'categorical_crossentropy'`),
 * `dtype`.
 */
export class CategoricalCrossentropy extends MeanMetricWrapper {
  static override className = 'CategoricalCrossentropy';

  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis: number;

  constructor(args: CategoricalCrossentropyArgs = {}) {
    const { fromLogits = false, labelSmoothing = 0, axis = -1, ...base } = args;
    super((t, p) => categoricalCrossentropy(t, p, { fromLogits, labelSmoothing, axis }), {
      ...base,
      name: base.name ?? 'categorical_crossentropy',
    });
    this.fromLogits = fromLogits;
    this.labelSmoothing = labelSmoothing;
    this.axis = axis;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      fromLogits: this.fromLogits,
      labelSmoothing: this.labelSmoothing,
      axis: this.axis,
    };
  }
}

register('metric', 'CategoricalCrossentropy', CategoricalCrossentropy, {
  aliases: ['categorical_crossentropy'],
});

declare module '@strata/core' {
  interface MetricIds {
    CategoricalCrossentropy: true;
    categorical_crossentropy: true;
    categoricalCrossentropy: true;
  }
}
