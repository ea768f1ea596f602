import { Loss, type LossArgs, squeezeOrExpandToSameRank } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** A function from targets and predictions to per-sample loss values. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * Wraps a loss function as a `Loss` (Keras's `LossFunctionWrapper`). Before calling it, a trailing axis of 1
 * on one side is reconciled with the other (`[batch]` targets against `[batch, 1]` predictions), as Keras does.
 *
 * Keras: `keras.losses.LossFunctionWrapper`
 *
 * @example
 * ```ts
 * const loss = new LossFunctionWrapper((t, p) => tf.mean(tf.abs(tf.sub(t, p)), -1), { name: 'my_mae' });
 * ```
 */
export class LossFunctionWrapper extends Loss {
  static override className = 'LossFunctionWrapper';

  readonly fn: LossFn;

  constructor(fn: LossFn, args: LossArgs = {}) {
    super(args);
    this.fn = fn;
  }

  call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [yt, yp] = squeezeOrExpandToSameRank(yTrue, yPred);
      return this.fn(yt, yp);
    });
  }
}
