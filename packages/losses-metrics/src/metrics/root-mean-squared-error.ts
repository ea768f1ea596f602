import { type MetricArgs, register, squeezeOrExpandToSameRank } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { assertSameShape } from '../losses/target-checks.js';
import { Mean } from './mean.js';

/**
 * Computes the root of the mean squared error over every sample seen, `sqrt(mean(square(yTrue - yPred)))`:
 * the mean is accumulated and the root taken only in `result`.
 *
 * Arguments: `name` (`'root_mean_squared_error'`), `dtype`.
 *
 * Keras: `keras.metrics.RootMeanSquaredError`
 *
 * @example
 * ```ts
 * const m = new RootMeanSquaredError();
 * m.updateState(yTrue, yPred);
 * m.result(); // shape []
 * ```
 */
export class RootMeanSquaredError extends Mean {
  static override className = 'RootMeanSquaredError';

  constructor(args: MetricArgs = {}) {
    super({ ...args, name: args.name ?? 'root_mean_squared_error' });
  }

  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    tf.tidy(() => {
      const yp = tf.cast(yPred, 'float32');
      const [yt, p] = squeezeOrExpandToSameRank(tf.cast(yTrue, 'float32'), yp);
      assertSameShape('root_mean_squared_error', yt, p);
      super.updateState(tf.squaredDifference(p, yt), sampleWeight);
    });
  }

  override result(): tf.Tensor {
    return tf.tidy(() => tf.sqrt(tf.divNoNan(this.total.value, this.count.value)));
  }
}

register('metric', 'RootMeanSquaredError', RootMeanSquaredError, { aliases: ['root_mean_squared_error'] });

declare module '@strata/core' {
  interface MetricIds {
    RootMeanSquaredError: true;
    root_mean_squared_error: true;
    rootMeanSquaredError: true;
  }
}
