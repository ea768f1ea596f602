import {
  formatShape,
  Metric,
  type MetricArgs,
  register,
  squeezeOrExpandToSameRank,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { assertSameShape } from '../losses/target-checks.js';

/** How `R2Score` combines the scores of several outputs: Keras's `class_aggregation` argument. */
export type R2ClassAggregation = 'uniform_average' | 'variance_weighted_average' | null;

/** Constructor arguments of `R2Score`: Keras's arguments of the same names, in camelCase. */
export interface R2ScoreArgs extends MetricArgs {
  /** How the scores of the output columns are combined; null returns one score per column. */
  classAggregation?: R2ClassAggregation;
  /** The number of independent regressors, for the adjusted R2 score; 0 gives the plain R2 score. */
  numRegressors?: number;
}

const AGGREGATIONS: R2ClassAggregation[] = [null, 'uniform_average', 'variance_weighted_average'];

/**
 * Computes the coefficient of determination, `1 - sum((yTrue - yPred)^2) / sum((yTrue - mean(yTrue))^2)`,
 * over every sample seen (sums and squared sums are accumulated per output column, so the result is exact
 * across batches).
 *
 * Arguments: `classAggregation` (`'uniform_average'`), `numRegressors` (0), `name` (`'r2_score'`), `dtype`.
 * Shapes: `yTrue` and `yPred` both `[batch, outputDim]`.
 *
 * Keras: `keras.metrics.R2Score`
 *
 * @example
 * ```ts
 * const m = new R2Score();
 * m.updateState(tf.tensor2d([[1], [2], [3]]), tf.tensor2d([[1.1], [1.9], [3.2]]));
 * m.result(); // shape []
 * ```
 */
export class R2Score extends Metric {
  static override className = 'R2Score';

  readonly classAggregation: R2ClassAggregation;
  readonly numRegressors: number;
  private readonly numSamples: Variable;
  private sums: { squaredSum: Variable; sum: Variable; totalMse: Variable; count: Variable } | null = null;

  constructor(args: R2ScoreArgs = {}) {
    const { classAggregation = 'uniform_average', numRegressors = 0, ...base } = args;
    super({ ...base, name: base.name ?? 'r2_score' });
    if (!AGGREGATIONS.includes(classAggregation)) {
      throw new ValueError(
        `Invalid value for argument \`class_aggregation\`. Expected one of ${JSON.stringify(AGGREGATIONS)}. ` +
          `Received: class_aggregation=${JSON.stringify(classAggregation)}`,
      );
    }
    if (!(numRegressors >= 0)) {
      throw new ValueError(
        `Invalid value for argument \`num_regressors\`. Expected a value >= 0. Received: num_regressors=${numRegressors}`,
      );
    }
    this.classAggregation = classAggregation;
    this.numRegressors = numRegressors;
    this.numSamples = this.addVariable('num_samples', []);
  }

  private build(yTrue: tf.Tensor, yPred: tf.Tensor): NonNullable<R2Score['sums']> {
    if (yTrue.rank !== 2 || yPred.rank !== 2) {
      throw new ValueError(
        `R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: ` +
          `y_pred.shape=${formatShape(yPred.shape)} and y_true.shape=${formatShape(yTrue.shape)}.`,
      );
    }
    const n = yPred.shape[1] as number;
    this.sums = {
      squaredSum: this.addVariable('squared_sum', [n]),
      sum: this.addVariable('sum', [n]),
      totalMse: this.addVariable('residual', [n]),
      count: this.addVariable('count', [n]),
    };
    return this.sums;
  }

  updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() => {
      const [yt, yp] = squeezeOrExpandToSameRank(tf.cast(yTrue, 'float32'), tf.cast(yPred, 'float32'));
      assertSameShape('R2Score', yt, yp);
      const s = this.sums ?? this.build(yt, yp);
      if (s.sum.shape[0] !== yp.shape[1]) {
        throw new ValueError(
          `R2Score was built for ${s.sum.shape[0]} output columns. Received: y_pred.shape=${formatShape(yp.shape)}`,
        );
      }
      let sw = sampleWeight == null ? tf.scalar(1) : tf.cast(sampleWeight, 'float32');
      if (sw.rank === 1) sw = tf.expandDims(sw, 1);
      sw = tf.broadcastTo(sw, yt.shape);
      const weighted = tf.mul(yt, sw);
      s.sum.assign(tf.add(s.sum.value, tf.sum(weighted, 0)));
      s.squaredSum.assign(tf.add(s.squaredSum.value, tf.sum(tf.mul(yt, weighted), 0)));
      s.totalMse.assign(tf.add(s.totalMse.value, tf.sum(tf.mul(tf.squaredDifference(yt, yp), sw), 0)));
      s.count.assign(tf.add(s.count.value, tf.sum(sw, 0)));
      this.numSamples.assign(tf.add(this.numSamples.value, yt.size));
    });
  }

  result(): tf.Tensor {
    return tf.tidy(() => {
      const s = this.sums;
      if (!s) return tf.scalar(0);
      const mean = tf.div(s.sum.value, s.count.value);
      const total = tf.sub(s.squaredSum.value, tf.mul(s.sum.value, mean));
      let raw = tf.sub(1, tf.div(s.totalMse.value, total));
      raw = tf.where(tf.isInf(raw), tf.zerosLike(raw), raw);
      let score: tf.Tensor;
      if (this.classAggregation === 'uniform_average') score = tf.mean(raw);
      else if (this.classAggregation === 'variance_weighted_average') {
        score = tf.div(tf.sum(tf.mul(total, raw)), tf.sum(total));
      } else score = raw;
      if (this.numRegressors !== 0) {
        // Adjusted R2; where there are too few samples for it, Keras falls back to the plain score.
        const n = this.numSamples.value;
        const p = this.numRegressors;
        const adjusted = tf.sub(1, tf.div(tf.mul(tf.sub(1, score), tf.sub(n, 1)), tf.sub(tf.sub(n, p), 1)));
        score = tf.where(tf.broadcastTo(tf.greater(tf.sub(n, 1), p), score.shape), adjusted, score);
      }
      return score;
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      classAggregation: this.classAggregation,
      numRegressors: this.numRegressors,
    };
  }
}

register('metric', 'R2Score', R2Score, { aliases: ['r2_score'] });

declare module '@strata/core' {
  interface MetricIds {
    R2Score: true;
    r2_score: true;
    r2Score: true;
  }
}
