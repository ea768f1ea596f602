import { Metric, type MetricArgs, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import {
  type ConfusionVariables,
  parseInitThresholds,
  updateConfusionMatrixVariables,
} from './confusion-matrix.js';

/**
 * Constructor arguments of the confusion-count metrics (`TruePositives`, `FalseNegatives`, ...): thresholds,
 * name and dtype.
 */
export interface ConfusionCountArgs extends MetricArgs {
  /** A threshold in [0, 1] or a list of them; predictions above it count as positive. Default 0.5. */
  thresholds?: number | number[] | null;
}

/**
 * The shared body of TruePositives, FalsePositives, TrueNegatives and FalseNegatives (Keras's
 * `_ConfusionMatrixConditionCount`): one weighted count per threshold, a scalar when there is one threshold.
 *
 * Keras: `keras.src.metrics.confusion_metrics._ConfusionMatrixConditionCount`
 *
 * @example
 * ```ts
 * // The base of TruePositives, TrueNegatives, FalsePositives and FalseNegatives.
 * const m: metrics.BaseConfusionCount = new TruePositives();
 * m.updateState(tf.tensor1d([0, 1, 1]), tf.tensor1d([0.2, 0.9, 0.3]));
 * m.result(); // shape []
 * ```
 */
export abstract class BaseConfusionCount extends Metric {
  readonly thresholds: number[];
  /** The thresholds as given (null when defaulted), for the config. */
  readonly initThresholds: number | number[] | null;
  protected readonly accumulator: Variable;
  protected abstract readonly condition: keyof ConfusionVariables;

  constructor(args: ConfusionCountArgs, defaultName: string) {
    const { thresholds = null, ...base } = args;
    super({ ...base, name: base.name ?? defaultName });
    this.initThresholds = thresholds;
    this.thresholds = parseInitThresholds(thresholds);
    this.accumulator = this.addVariable('accumulator', [this.thresholds.length]);
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() =>
      updateConfusionMatrixVariables({ [this.condition]: this.accumulator }, yTrue, yPred, this.thresholds, {
        sampleWeight,
      }),
    );
  }

  result(): tf.Tensor {
    return tf.tidy(() =>
      this.thresholds.length === 1 ? tf.reshape(this.accumulator.value, []) : this.accumulator.read(),
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.initThresholds };
  }
}
