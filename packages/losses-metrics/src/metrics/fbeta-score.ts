import { formatShape, Metric, type MetricArgs, register, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { EPSILON } from '../losses/target-checks.js';

/** How per-class scores are combined: null (or `'none'`) keeps one score per class. */
export type FScoreAverage = 'micro' | 'macro' | 'weighted' | 'none' | null;

/** Constructor arguments of `FBetaScore`: Keras's arguments of the same names, in camelCase. */
export interface FBetaScoreArgs extends MetricArgs {
  /** Default null: one score per class. */
  average?: FScoreAverage;
  /** The weight of recall relative to precision (> 0). Default 1. */
  beta?: number;
  /**
   * Predictions above it count as positive, in (0, 1]. Default null: the highest prediction of each sample
   * counts as positive (when it is nonzero).
   */
  threshold?: number | null;
}

const AVERAGES = [null, 'micro', 'macro', 'weighted'];

/**
 * Computes the F-beta score, `(1 + beta^2) * P * R / (beta^2 * P + R)`, from true/false positive and false
 * negative counts accumulated over every batch seen, so the result over several batches is the score on the
 * whole data.
 *
 * Arguments: `average` (null; `'micro'`, `'macro'`, `'weighted'`), `beta` (1), `threshold` (null), `name`
 * (`'fbeta_score'`), `dtype`.
 * Shapes: `yTrue` and `yPred` both `[batch, numClasses]` (one-hot or multi-label targets).
 *
 * Keras: `keras.metrics.FBetaScore`
 *
 * @example
 * ```ts
 * const m = new FBetaScore({ beta: 2, average: 'micro', threshold: 0.5 });
 * m.updateState(yTrue, yPred);
 * m.result(); // shape []
 * ```
 */
export class FBetaScore extends Metric {
  static override className = 'FBetaScore';

  readonly average: 'micro' | 'macro' | 'weighted' | null;
  readonly beta: number;
  readonly threshold: number | null;
  private state: {
    truePositives: Variable;
    falsePositives: Variable;
    falseNegatives: Variable;
    intermediateWeights: Variable;
  } | null = null;

  constructor(args: FBetaScoreArgs = {}) {
    const { average = null, beta = 1, threshold = null, ...base } = args;
    super({ ...base, name: base.name ?? 'fbeta_score' });
    const avg = average === 'none' ? null : average;
    if (!AVERAGES.includes(avg)) {
      throw new ValueError(
        `Invalid \`average\` argument value. Expected one of: {null, 'micro', 'macro', 'weighted'}. ` +
          `Received: average=${JSON.stringify(average)}`,
      );
    }
    if (typeof beta !== 'number' || !(beta > 0)) {
      throw new ValueError(`Invalid \`beta\` argument value. It should be > 0. Received: beta=${beta}`);
    }
    if (threshold != null && !(threshold > 0 && threshold <= 1)) {
      throw new ValueError(
        `Invalid \`threshold\` argument value. It should verify 0 < threshold <= 1. Received: threshold=${threshold}`,
      );
    }
    this.average = avg;
    this.beta = beta;
    this.threshold = threshold;
  }

  private build(yPred: tf.Tensor): NonNullable<FBetaScore['state']> {
    const shape = this.average === 'micro' ? [] : [yPred.shape[1] as number];
    this.state = {
      truePositives: this.addVariable('true_positives', shape),
      falsePositives: this.addVariable('false_positives', shape),
      falseNegatives: this.addVariable('false_negatives', shape),
      intermediateWeights: this.addVariable('intermediate_weights', shape),
    };
    return this.state;
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    if (yTrue.rank !== 2 || yPred.rank !== 2) {
      throw new ValueError(
        `${this.getClassName()} expects 2D inputs with shape (batch_size, output_dim). Received input shapes: ` +
          `y_pred.shape=${formatShape(yPred.shape)} and y_true.shape=${formatShape(yTrue.shape)}.`,
      );
    }
    if (!tf.util.arraysEqual(yTrue.shape, yPred.shape)) {
      throw new ValueError(
        `In ${this.getClassName()}, \`y_true\` and \`y_pred\` must have the same shape. ` +
          `Received: y_true.shape=${formatShape(yTrue.shape)}, y_pred.shape=${formatShape(yPred.shape)}`,
      );
    }
    const s = this.state ?? this.build(yPred);
    const width = this.average === 'micro' ? null : s.truePositives.shape[0];
    if (width != null && width !== yPred.shape[1]) {
      throw new ValueError(
        `${this.getClassName()} was built for ${width} classes. Received: y_pred.shape=${formatShape(yPred.shape)}`,
      );
    }
    tf.tidy(() => {
      let yp = tf.cast(yPred, 'float32');
      const yt = tf.cast(yTrue, 'float32');
      if (this.threshold == null) {
        // The top prediction of each sample is the positive one; an all-zero row stays all negative.
        const top = tf.max(yp, -1, true);
        yp = tf.logicalAnd(tf.greaterEqual(yp, top), tf.greater(tf.abs(yp), 1e-9));
      } else {
        yp = tf.greater(yp, this.threshold);
      }
      yp = tf.cast(yp, 'float32');
      const sw = sampleWeight == null ? null : tf.expandDims(tf.cast(sampleWeight, 'float32'), 1);
      const weightedSum = (v: tf.Tensor) => {
        const weighted = sw ? tf.mul(v, sw) : v;
        return this.average === 'micro' ? tf.sum(weighted) : tf.sum(weighted, 0);
      };
      s.truePositives.assign(tf.add(s.truePositives.value, weightedSum(tf.mul(yp, yt))));
      s.falsePositives.assign(tf.add(s.falsePositives.value, weightedSum(tf.mul(yp, tf.sub(1, yt)))));
      s.falseNegatives.assign(tf.add(s.falseNegatives.value, weightedSum(tf.mul(tf.sub(1, yp), yt))));
      s.intermediateWeights.assign(tf.add(s.intermediateWeights.value, weightedSum(yt)));
    });
  }

  result(): tf.Tensor {
    return tf.tidy(() => {
      const s = this.state;
      if (!s) return tf.scalar(0);
      const tp = s.truePositives.value;
      const precision = tf.div(tp, tf.add(tf.add(tp, s.falsePositives.value), EPSILON));
      const recall = tf.div(tp, tf.add(tf.add(tp, s.falseNegatives.value), EPSILON));
      const b2 = this.beta * this.beta;
      const mean = tf.div(tf.mul(precision, recall), tf.add(tf.add(tf.mul(precision, b2), recall), EPSILON));
      let score = tf.mul(mean, 1 + b2);
      if (this.average === 'weighted') {
        const w = s.intermediateWeights.value;
        score = tf.sum(tf.mul(score, tf.div(w, tf.add(tf.sum(w), EPSILON))));
      } else if (this.average != null) {
        score = tf.mean(score);
      }
      return score;
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), average: this.average, beta: this.beta, threshold: this.threshold };
  }
}

register('metric', 'FBetaScore', FBetaScore, { aliases: ['fbeta_score', 'f_beta_score'] });

declare module '@strata/core' {
  interface MetricIds {
    FBetaScore: true;
    fbeta_score: true;
    fbetaScore: true;
    f_beta_score: true;
  }
}
