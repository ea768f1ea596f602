import { type MetricArgs, register, ValueError } from '@strata/core';

import { binaryAccuracy } from './accuracy-math.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/** Constructor arguments of `BinaryAccuracy`: Keras's arguments of the same names, in camelCase. */
export interface BinaryAccuracyArgs extends MetricArgs {
  /** Predictions above it count as 1. Default 0.5. */
  threshold?: number;
}

/**
 * Computes how often `yPred > threshold` matches 0/1 targets.
 *
 * Arguments: `threshold` (0.5), `name` (`'binary_accuracy'`), `dtype`.
 * Shapes: `yTrue` and `yPred` of one shape (`[batch]` against `[batch, 1]` is accepted).
 *
 * Keras: `keras.metrics.BinaryAccuracy`
 *
 * @example
 * ```ts
 * const m = new BinaryAccuracy({ threshold: 0.5 });
 * m.updateState(tf.tensor2d([[1], [0]]), tf.tensor2d([[0.7], [0.6]]));
 * m.result(); // shape []
 * ```
 */
export class BinaryAccuracy extends MeanMetricWrapper {
  static override className = 'BinaryAccuracy';

  readonly threshold: number;

  constructor(args: BinaryAccuracyArgs = {}) {
    const { threshold = 0.5, ...base } = args;
    if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
      throw new ValueError(
        `Argument \`threshold\` of BinaryAccuracy must be a number. Received: threshold=${threshold}`,
      );
    }
    super((t, p) => binaryAccuracy(t, p, threshold), { ...base, name: base.name ?? 'binary_accuracy' });
    this.threshold = threshold;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}

register('metric', 'BinaryAccuracy', BinaryAccuracy, { aliases: ['binary_accuracy'] });

declare module '@strata/core' {
  interface MetricIds {
    BinaryAccuracy: true;
    binary_accuracy: true;
    binaryAccuracy: true;
  }
}
