import { type LossArgs, reduceWeightedValues, register, squeezeOrExpandToSameRank } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { sparseCategoricalCrossentropy, sparseCategoricalCrossentropyWithMask } from './crossentropy-math.js';
import { LossFunctionWrapper } from './loss-function-wrapper.js';
import { applyMask } from './loss-mask.js';

/**
 * Constructor arguments of `SparseCategoricalCrossentropy`: Keras's arguments of the same names, in
 * camelCase.
 */
export interface SparseCategoricalCrossentropyArgs extends LossArgs {
  /** Whether `yPred` holds logits rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** A class id to leave out of the loss (e.g. a "void" class such as -1 or 255). Default null. */
  ignoreClass?: number | null;
}

/**
 * Computes the crossentropy between integer class ids and predicted class probabilities (or logits with
 * `fromLogits: true`). With `ignoreClass`, entries of that class contribute nothing and the mean is taken
 * over the other entries.
 *
 * Class ids outside `[0, numClasses)` fail with an error naming the value and both shapes on backends whose
 * tensors live in host memory (cpu, wasm, tensorflow), where reading the labels costs no device sync. On GPU
 * backends no per-batch read is added: an out-of-range id makes the loss NaN, as TensorFlow does on GPU.
 *
 * Arguments: `fromLogits` (false), `ignoreClass` (null), `reduction` (`'sum_over_batch_size'`), `name`
 * (`'sparse_categorical_crossentropy'`).
 * Shapes: `yTrue` `[batch, ...]` or `[batch, ..., 1]`, `yPred` `[batch, ..., numClasses]`.
 *
 * Keras: `keras.losses.SparseCategoricalCrossentropy`
 *
 * @example
 * ```ts
 * const loss = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
 * loss.apply(tf.tensor1d([1, 2]), tf.tensor2d([[0.1, 2, 0.3], [1, 0, 3]])); // shape []
 * ```
 */
export class SparseCategoricalCrossentropy extends LossFunctionWrapper {
  static override className = 'SparseCategoricalCrossentropy';

  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;

  constructor(args: SparseCategoricalCrossentropyArgs = {}) {
    const { fromLogits = false, ignoreClass = null, ...base } = args;
    super((t, p) => sparseCategoricalCrossentropy(t, p, { fromLogits, ignoreClass }), {
      ...base,
      name: base.name ?? 'sparse_categorical_crossentropy',
    });
    this.fromLogits = fromLogits;
    this.ignoreClass = ignoreClass;
  }

  /** Like `Loss.apply`, but ignored entries are masked out of the reduction, as Keras's loss mask does. */
  override apply(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): tf.Tensor {
    if (this.ignoreClass === null) return super.apply(yTrue, yPred, sampleWeight);
    return tf.tidy(() => {
      const yp = yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32');
      const [yt, p] = squeezeOrExpandToSameRank(yTrue, yp);
      const { values, mask } = sparseCategoricalCrossentropyWithMask(yt, p, {
        fromLogits: this.fromLogits,
        ignoreClass: this.ignoreClass,
      });
      return reduceWeightedValues(
        values,
        applyMask(sampleWeight ?? null, mask, this.reduction),
        this.reduction,
      );
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits, ignoreClass: this.ignoreClass };
  }
}

register('loss', 'SparseCategoricalCrossentropy', SparseCategoricalCrossentropy, {
  aliases: ['sparse_categorical_crossentropy'],
});

declare module '@strata/core' {
  interface LossIds {
    SparseCategoricalCrossentropy: true;
    sparse_categorical_crossentropy: true;
    sparseCategoricalCrossentropy: true;
  }
}
