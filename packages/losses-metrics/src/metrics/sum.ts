import { Metric, type MetricArgs, register, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { reduceToSamplewiseValues } from './samplewise-reduction.js';

/**
 * Computes the (weighted) sum of the values it is given. State stays on the device.
 *
 * Keras: `keras.metrics.Sum`
 *
 * @example
 * ```ts
 * const m = new Sum();
 * m.updateState(tf.tensor1d([1, 3, 5, 7]), tf.tensor1d([1, 1, 0, 0]));
 * m.result(); // 4
 * ```
 */
export class Sum extends Metric {
  static override className = 'Sum';

  protected readonly total: Variable;

  constructor(args: MetricArgs = {}) {
    super({ ...args, name: args.name ?? 'sum' });
    this.total = this.addVariable('total', []);
  }

  /** Adds the sum of `values`, weighted by `sampleWeight`. */
  updateState(values: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() => {
      const [v] = reduceToSamplewiseValues(values, sampleWeight ?? null, 'sum');
      this.total.assign(tf.add(this.total.value, tf.sum(v)));
    });
  }

  result(): tf.Tensor {
    return this.total.read();
  }
}

register('metric', 'Sum', Sum, { aliases: ['sum'] });

declare module '@strata/core' {
  interface MetricIds {
    Sum: true;
    sum: true;
  }
}
