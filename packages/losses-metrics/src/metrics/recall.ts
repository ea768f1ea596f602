import { Metric, type MetricArgs, register, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { NEG_INF, parseInitThresholds, updateConfusionMatrixVariables } from './confusion-matrix.js';

export interface RecallArgs extends MetricArgs {
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

/**
 * Computes how many actual positives are predicted positive, `TP / (TP + FN)`, from counts accumulated over every batch seen, so the result over several
 * batches is the value on the whole data, not the mean of per-batch values.
 *
 * Arguments: `thresholds` (0.5), `topK` (null), `classId` (null), `name` (`'recall'`), `dtype`.
 *
 * ```ts
 * model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: [new Recall()] });
 * ```
 */
export class Recall extends Metric {
  static override className = 'Recall';

  readonly thresholds: number[];
  readonly initThresholds: number | number[] | null;
  readonly topK: number | null;
  readonly classId: number | null;
  private readonly truePositives: Variable;
  private readonly falseNegatives: Variable;

  constructor(args: RecallArgs = {}) {
    const { thresholds = null, topK = null, classId = null, ...base } = args;
    super({ ...base, name: base.name ?? 'recall' });
    if (topK != null && !(Number.isInteger(topK) && topK >= 1)) {
      throw new ValueError(`Argument \`topK\` of Recall must be an integer >= 1. Received: topK=${topK}`);
    }
    this.initThresholds = thresholds;
    this.topK = topK;
    this.classId = classId;
    this.thresholds = parseInitThresholds(thresholds, topK == null ? 0.5 : NEG_INF);
    this.truePositives = this.addVariable('true_positives', [this.thresholds.length]);
    this.falseNegatives = this.addVariable('false_negatives', [this.thresholds.length]);
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() =>
      updateConfusionMatrixVariables(
        { truePositives: this.truePositives, falseNegatives: this.falseNegatives },
        yTrue,
        yPred,
        this.thresholds,
        { topK: this.topK, classId: this.classId, sampleWeight },
      ),
    );
  }

  result(): tf.Tensor {
    return tf.tidy(() => {
      const tp = this.truePositives.value;
      const value = tf.divNoNan(tp, tf.add(tp, this.falseNegatives.value));
      return this.thresholds.length === 1 ? tf.reshape(value, []) : value;
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), thresholds: this.initThresholds, topK: this.topK, classId: this.classId };
  }
}

register('metric', 'Recall', Recall, { aliases: ['recall'] });

declare module '@strata/core' {
  interface MetricIds {
    Recall: true;
    recall: true;
  }
}
