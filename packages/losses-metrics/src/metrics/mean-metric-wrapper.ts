import type { MetricArgs } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Mean } from './mean.js';

/** A stateless metric: per-sample values from targets and predictions. */
export type MetricFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * Turns a function `fn(yTrue, yPred)` returning per-sample values into a stateful mean over every sample
 * seen (Keras's `MeanMetricWrapper`).
 *
 * Keras: `keras.metrics.MeanMetricWrapper`
 *
 * @example
 * ```ts
 * const m = new MeanMetricWrapper((t, p) => tf.mean(tf.abs(tf.sub(t, p)), -1), { name: 'my_mae' });
 * ```
 */
export class MeanMetricWrapper extends Mean {
  static override className = 'MeanMetricWrapper';

  readonly fn: MetricFn;

  constructor(fn: MetricFn, args: MetricArgs = {}) {
    super({ ...args, name: args.name ?? 'mean_metric_wrapper' });
    this.fn = fn;
  }

  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() => super.updateState(this.fn(yTrue, yPred), sampleWeight));
  }
}
