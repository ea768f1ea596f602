import { Metric, type MetricArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { reduceToSamplewiseValues } from './samplewise-reduction.js';

/**
 * Computes the (weighted) mean of the values it is given: `total / count`, where `count` is the number of
 * samples or the sum of their weights. State stays on the device.
 *
 * Keras: `keras.metrics.Mean`
 *
 * @example
 * ```ts
 * const m = new Mean();
 * m.updateState(tf.tensor1d([1, 3, 5, 7]));
 * m.result(); // 4
 * ```
 */
export class Mean extends Metric {
  static override className = 'Mean';

  protected readonly total: Variable;
  protected readonly count: Variable;

  constructor(args: MetricArgs = {}) {
    super({ ...args, name: args.name ?? 'mean' });
    this.total = this.addVariable('total', []);
    this.count = this.addVariable('count', []);
  }

  /** Adds `values` (per sample, reduced over their other axes) weighted by `sampleWeight`. */
  updateState(values: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() => {
      const [v, sw] = reduceToSamplewiseValues(values, sampleWeight ?? null, 'mean');
      this.total.assign(tf.add(this.total.value, tf.sum(v)));
      const numSamples = sw != null ? tf.sum(sw) : tf.scalar(v.rank >= 1 ? v.shape[0] : 1);
      this.count.assign(tf.add(this.count.value, numSamples));
    });
  }

  result(): tf.Tensor {
    return tf.tidy(() => tf.divNoNan(this.total.value, this.count.value));
  }
}

register('metric', 'Mean', Mean, { aliases: ['mean'] });

declare module '@strata/core' {
  interface MetricIds {
    Mean: true;
    mean: true;
  }
}
