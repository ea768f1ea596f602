import { type MetricArgs, register, squeezeOrExpandToSameRank } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import {
  sparseCategoricalCrossentropy,
  sparseCategoricalCrossentropyWithMask,
} from '../losses/crossentropy-math.js';
import { Mean } from './mean.js';
import { MeanMetricWrapper } from './mean-metric-wrapper.js';

/**
 * Constructor arguments of `SparseCategoricalCrossentropy`: Keras's arguments of the same names, in
 * camelCase.
 */
export interface SparseCategoricalCrossentropyArgs extends MetricArgs {
  fromLogits?: boolean;
  /** A class id whose targets contribute 0 (Keras's `ignore_class`). Default null: none. */
  ignoreClass?: number | null;
  axis?: number;
}

/**
 * Computes the mean crossentropy between integer class ids and predictions over every sample seen.
 *
 * Arguments: `fromLogits` (false), `ignoreClass` (null), `axis` (-1), `name` (`'sparse_categorical_crossentropy'`), `dtype`.
 *
 * Keras: `keras.metrics.SparseCategoricalCrossentropy`
 *
 * @example
 * ```ts
 * const m = new metrics.SparseCategoricalCrossentropy();
 * m.updateState(tf.tensor1d([1, 2]), tf.tensor2d([[0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]));
 * m.result(); // shape []
 * ```
 */
export class SparseCategoricalCrossentropy extends MeanMetricWrapper {
  static override className = 'SparseCategoricalCrossentropy';

  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  readonly axis: number;

  constructor(args: SparseCategoricalCrossentropyArgs = {}) {
    const { fromLogits = false, ignoreClass = null, axis = -1, ...base } = args;
    // Ignored targets give 0 and still count as samples: Keras's metric mask does not survive on the JAX
    // backend, and Keras 3.15's result there is this one.
    super((t, p) => sparseCategoricalCrossentropy(t, p, { fromLogits, ignoreClass, axis }), {
      ...base,
      name: base.name ?? 'sparse_categorical_crossentropy',
    });
    this.fromLogits = fromLogits;
    this.ignoreClass = ignoreClass;
    this.axis = axis;
  }

  /**
   * With `ignoreClass` and sample weights, the ignored targets' weights are zeroed (Keras applies the
   * values' mask to the weights); without weights they count as samples of value 0, as in Keras 3.15.
   */
  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    if (this.ignoreClass === null || sampleWeight == null) {
      super.updateState(yTrue, yPred, sampleWeight);
      return;
    }
    tf.tidy(() => {
      const { values, mask } = sparseCategoricalCrossentropyWithMask(yTrue, yPred, {
        fromLogits: this.fromLogits,
        ignoreClass: this.ignoreClass,
        axis: this.axis,
      });
      const [m, sw] = squeezeOrExpandToSameRank(
        tf.cast(mask as tf.Tensor, 'float32'),
        tf.cast(sampleWeight, 'float32'),
      );
      Mean.prototype.updateState.call(this, values, tf.mul(sw, m));
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      fromLogits: this.fromLogits,
      ignoreClass: this.ignoreClass,
      axis: this.axis,
    };
  }
}

register('metric', 'SparseCategoricalCrossentropy', SparseCategoricalCrossentropy, {
  aliases: ['sparse_categorical_crossentropy'],
});

declare module '@strata/core' {
  interface MetricIds {
    SparseCategoricalCrossentropy: true;
    sparse_categorical_crossentropy: true;
    sparseCategoricalCrossentropy: true;
  }
}
