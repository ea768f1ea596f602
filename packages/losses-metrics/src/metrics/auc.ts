import { formatShape, Metric, type MetricArgs, register, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { EPSILON } from '../losses/target-checks.js';
import { assertThresholdsRange, updateConfusionMatrixVariables } from './confusion-matrix.js';

/** The curve `AUC` integrates: `'ROC'` or `'PR'`. */
export type AUCCurve = 'ROC' | 'PR';
/** How `AUC` approximates the area under the curve: Keras's `summation_method` argument. */
export type AUCSummationMethod = 'interpolation' | 'minoring' | 'majoring';

/** Constructor arguments of `AUC`: Keras's arguments of the same names, in camelCase. */
export interface AUCArgs extends MetricArgs {
  /** How many evenly spaced thresholds discretize the curve (> 1). Default 200. */
  numThresholds?: number;
  /** `'ROC'` (the default) or `'PR'` (precision-recall); lower case is accepted. */
  curve?: AUCCurve | 'roc' | 'pr';
  /** How the area between thresholds is summed. Default `'interpolation'`. */
  summationMethod?: AUCSummationMethod;
  /** Explicit thresholds in [0, 1], used instead of `numThresholds`. */
  thresholds?: number[] | null;
  /** Compute one AUC per label (last axis) and average them, instead of pooling every entry. Default false. */
  multiLabel?: boolean;
  /** The number of labels when `multiLabel` is set; otherwise taken from the first batch. */
  numLabels?: number | null;
  /** Per-label weights: pooled counts are weighted by them, or the per-label AUCs averaged with them. */
  labelWeights?: number[] | null;
  /** Whether `yPred` holds logits; a sigmoid is applied first. Default false. */
  fromLogits?: boolean;
}

/**
 * Approximates the area under the ROC or precision-recall curve with a Riemann sum over `numThresholds`
 * thresholds. Counts at every threshold are accumulated across batches, so the result over several batches
 * is the AUC of the whole data.
 *
 * Arguments: `numThresholds` (200), `curve` (`'ROC'`), `summationMethod` (`'interpolation'`), `thresholds`
 * (null), `multiLabel` (false), `numLabels` (null), `labelWeights` (null), `fromLogits` (false), `name`
 * (`'auc'`), `dtype`.
 * Shapes: `yTrue` 0/1 and `yPred` in [0, 1] of one shape; `[batch, numLabels]` with `multiLabel`.
 *
 * Keras: `keras.metrics.AUC`
 *
 * @example
 * ```ts
 * const m = new AUC();
 * m.updateState(tf.tensor1d([0, 0, 1, 1]), tf.tensor1d([0.1, 0.4, 0.35, 0.8]));
 * m.result(); // shape []
 * model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: [new AUC({ curve: 'PR' })] });
 * ```
 */
export class AUC extends Metric {
  static override className = 'AUC';

  readonly numThresholds: number;
  readonly curve: AUCCurve;
  readonly summationMethod: AUCSummationMethod;
  readonly multiLabel: boolean;
  readonly numLabels: number | null;
  readonly labelWeights: number[] | null;
  readonly fromLogits: boolean;
  /** Every threshold, including the endpoints just below 0 and just above 1. */
  readonly thresholds: number[];
  private readonly initFromThresholds: boolean;
  private counts: {
    truePositives: Variable;
    falsePositives: Variable;
    trueNegatives: Variable;
    falseNegatives: Variable;
  } | null = null;

  constructor(args: AUCArgs = {}) {
    const {
      numThresholds = 200,
      curve = 'ROC',
      summationMethod = 'interpolation',
      thresholds = null,
      multiLabel = false,
      numLabels = null,
      labelWeights = null,
      fromLogits = false,
      ...base
    } = args;
    super({ ...base, name: base.name ?? 'auc' });
    const upper = String(curve).toUpperCase();
    if (upper !== 'ROC' && upper !== 'PR') {
      throw new ValueError(`Invalid AUC curve value: "${curve}". Expected values are ["PR", "ROC"]`);
    }
    if (!['interpolation', 'minoring', 'majoring'].includes(summationMethod)) {
      throw new ValueError(
        `Invalid AUC summation method value: "${summationMethod}". ` +
          `Expected values are ["interpolation", "majoring", "minoring"]`,
      );
    }
    let inner: number[];
    if (thresholds != null) {
      assertThresholdsRange(thresholds);
      inner = thresholds.slice().sort((a, b) => a - b);
      this.numThresholds = inner.length + 2;
    } else {
      if (!(Number.isInteger(numThresholds) && numThresholds > 1)) {
        throw new ValueError(
          `Argument \`num_thresholds\` must be an integer > 1. Received: num_thresholds=${numThresholds}`,
        );
      }
      this.numThresholds = numThresholds;
      inner = Array.from({ length: numThresholds - 2 }, (_, i) => (i + 1) / (numThresholds - 1));
    }
    // Endpoints just outside [0, 1] so that predictions of exactly 0 or 1 land on the right side.
    this.thresholds = [0 - EPSILON, ...inner, 1 + EPSILON];
    this.initFromThresholds = thresholds != null;
    this.curve = upper as AUCCurve;
    this.summationMethod = summationMethod;
    this.multiLabel = multiLabel;
    this.numLabels = numLabels;
    this.labelWeights = labelWeights;
    this.fromLogits = fromLogits;
    if (multiLabel) {
      if (numLabels != null) this.build(numLabels);
    } else {
      if (numLabels != null) throw new ValueError('`num_labels` is needed only when `multi_label` is True.');
      this.build(null);
    }
  }

  private build(numLabels: number | null): NonNullable<AUC['counts']> {
    const shape = numLabels == null ? [this.numThresholds] : [this.numThresholds, numLabels];
    this.counts = {
      truePositives: this.addVariable('true_positives', shape),
      falsePositives: this.addVariable('false_positives', shape),
      trueNegatives: this.addVariable('true_negatives', shape),
      falseNegatives: this.addVariable('false_negatives', shape),
    };
    return this.counts;
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    if (this.multiLabel && yPred.rank !== 2) {
      throw new ValueError(
        `AUC with multi_label expects y_pred of shape (batch_size, num_labels). Received: y_pred.shape=${formatShape(yPred.shape)}`,
      );
    }
    const counts = this.counts ?? this.build(yPred.shape[1] as number);
    if (this.multiLabel && counts.truePositives.shape[1] !== yPred.shape[1]) {
      throw new ValueError(
        `AUC was built for ${counts.truePositives.shape[1]} labels. Received: y_pred.shape=${formatShape(yPred.shape)}`,
      );
    }
    tf.tidy(() => {
      const yp = this.fromLogits ? tf.sigmoid(tf.cast(yPred, 'float32')) : yPred;
      updateConfusionMatrixVariables(counts, yTrue, yp, this.thresholds, {
        sampleWeight,
        multiLabel: this.multiLabel,
        // Per-label AUCs are weighted in result() instead.
        labelWeights: this.multiLabel || !this.labelWeights ? null : tf.tensor1d(this.labelWeights),
      });
    });
  }

  /** Averages per-label areas (multi-label) or sums the pooled ones. */
  private aggregate(terms: tf.Tensor): tf.Tensor {
    if (!this.multiLabel) return tf.sum(terms);
    const byLabel = tf.sum(terms, 0);
    if (!this.labelWeights) return tf.mean(byLabel);
    const lw = tf.tensor1d(this.labelWeights);
    return tf.divNoNan(tf.sum(tf.mul(byLabel, lw)), tf.sum(lw));
  }

  /**
   * The PR curve with `'interpolation'` interpolates true and false positives linearly between thresholds
   * (Davis & Goadrich, 2006) rather than the precision itself.
   */
  private interpolatePrAuc(c: NonNullable<AUC['counts']>): tf.Tensor {
    const n = this.numThresholds;
    const head = (x: tf.Tensor) => tf.slice(x, 0, n - 1);
    const tail = (x: tf.Tensor) => tf.slice(x, 1, n - 1);
    const tp = c.truePositives.value;
    const fn = c.falseNegatives.value;
    const dtp = tf.sub(head(tp), tail(tp));
    const p = tf.add(tp, c.falsePositives.value);
    const dp = tf.sub(head(p), tail(p));
    const precSlope = tf.divNoNan(dtp, tf.maximum(dp, 0));
    const intercept = tf.sub(tail(tp), tf.mul(precSlope, tail(p)));
    const bothPositive = tf.logicalAnd(tf.greater(head(p), 0), tf.greater(tail(p), 0));
    const safeRatio = tf.where(
      bothPositive,
      tf.divNoNan(head(p), tf.maximum(tail(p), 0)),
      tf.onesLike(tail(p)),
    );
    const increments = tf.divNoNan(
      tf.mul(precSlope, tf.add(dtp, tf.mul(intercept, tf.log(safeRatio)))),
      tf.maximum(tf.add(tail(tp), tail(fn)), 0),
    );
    return this.aggregate(increments);
  }

  result(): tf.Tensor {
    return tf.tidy(() => {
      const c = this.counts;
      if (!c) return tf.scalar(0);
      if (this.curve === 'PR' && this.summationMethod === 'interpolation') return this.interpolatePrAuc(c);
      const n = this.numThresholds;
      const tp = c.truePositives.value;
      const recall = tf.divNoNan(tp, tf.add(tp, c.falseNegatives.value));
      let x: tf.Tensor;
      let y: tf.Tensor;
      if (this.curve === 'ROC') {
        x = tf.divNoNan(c.falsePositives.value, tf.add(c.falsePositives.value, c.trueNegatives.value));
        y = recall;
      } else {
        x = recall;
        y = tf.divNoNan(tp, tf.add(tp, c.falsePositives.value));
      }
      const yHead = tf.slice(y, 0, n - 1);
      const yTail = tf.slice(y, 1, n - 1);
      let heights: tf.Tensor;
      if (this.summationMethod === 'interpolation') heights = tf.div(tf.add(yHead, yTail), 2);
      else if (this.summationMethod === 'minoring') heights = tf.minimum(yHead, yTail);
      else heights = tf.maximum(yHead, yTail);
      const widths = tf.sub(tf.slice(x, 0, n - 1), tf.slice(x, 1, n - 1));
      return this.aggregate(tf.mul(widths, heights));
    });
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      numThresholds: this.numThresholds,
      curve: this.curve,
      summationMethod: this.summationMethod,
      multiLabel: this.multiLabel,
      numLabels: this.numLabels,
      labelWeights: this.labelWeights,
      fromLogits: this.fromLogits,
    };
    // Only explicit thresholds are written; generated ones follow from numThresholds.
    if (this.initFromThresholds) config.thresholds = this.thresholds.slice(1, -1);
    return config;
  }
}

register('metric', 'AUC', AUC, { aliases: ['auc'] });

declare module '@strata/core' {
  interface MetricIds {
    AUC: true;
    auc: true;
  }
}
