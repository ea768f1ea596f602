import { Metric, type MetricArgs, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import {
  type ConfusionVariables,
  NEG_INF,
  parseInitThresholds,
  updateConfusionMatrixVariables,
} from './confusion-matrix.js';

export interface PrecisionRecallArgs extends MetricArgs {
  /**
   * A threshold in [0, 1] or a list of them (one result per threshold); predictions above it count as
   * positive. Default 0.5, or no threshold at all when `topK` is set.
   */
  thresholds?: number | number[] | null;
  /** Only the `topK` highest predictions of each sample count as positive. */
  topK?: number | null;
  /** Only this class (index on the last axis) is measured. */
  classId?: number | null;
}

/** What tells Precision and Recall apart. */
export interface PrecisionRecallSpec {
  /** The class name used in error messages. */
  owner: string;
  defaultName: string;
  /** The error count kept beside the true positives. */
  errorCondition: 'falsePositives' | 'falseNegatives';
  /** Keras's name for that count's variable. */
  errorVariableName: string;
}

/**
 * The shared body of Precision and Recall: both accumulate true positives and one kind of error count per
 * threshold and report `TP / (TP + errors)`; they differ only in which error count (false positives or false
 * negatives) they keep.
 */
export abstract class BasePrecisionRecall extends Metric {
  readonly thresholds: number[];
  readonly initThresholds: number | number[] | null;
  readonly topK: number | null;
  readonly classId: number | null;
  private readonly truePositives: Variable;
  private readonly errors: Variable;
  private readonly errorCondition: 'falsePositives' | 'falseNegatives';

  constructor(args: PrecisionRecallArgs, spec: PrecisionRecallSpec) {
    const { owner, defaultName, errorCondition, errorVariableName } = spec;
    const { thresholds = null, topK = null, classId = null, ...base } = args;
    super({ ...base, name: base.name ?? defaultName });
    if (topK != null && !(Number.isInteger(topK) && topK >= 1)) {
      throw new ValueError(`Argument \`top_k\` of ${owner} must be an integer >= 1. Received: top_k=${topK}`);
    }
    this.initThresholds = thresholds;
    this.topK = topK;
    this.classId = classId;
    this.thresholds = parseInitThresholds(thresholds, topK == null ? 0.5 : NEG_INF);
    this.errorCondition = errorCondition;
    this.truePositives = this.addVariable('true_positives', [this.thresholds.length]);
    this.errors = this.addVariable(errorVariableName, [this.thresholds.length]);
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    const variables: ConfusionVariables = {
      truePositives: this.truePositives,
      [this.errorCondition]: this.errors,
    };
    tf.tidy(() =>
      updateConfusionMatrixVariables(variables, yTrue, yPred, this.thresholds, {
        topK: this.topK,
        classId: this.classId,
        sampleWeight,
      }),
    );
  }

  result(): tf.Tensor {
    return tf.tidy(() => {
      const tp = this.truePositives.value;
      const value = tf.divNoNan(tp, tf.add(tp, this.errors.value));
      return this.thresholds.length === 1 ? tf.reshape(value, []) : value;
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.initThresholds, topK: this.topK, classId: this.classId };
  }
}
