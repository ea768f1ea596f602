import * as tf from '@tensorflow/tfjs-core';

import { ValueError } from './errors.js';
import { BASE_LOSS_ARGUMENTS, checkArgumentsAgainstConfig, withoutArgumentCheck } from './layer-arguments.js';
import { toSnakeCase } from './naming.js';

/** How a loss reduces per-sample values to one number: Keras's `reduction` argument. */
export type Reduction = 'sum_over_batch_size' | 'sum' | 'none' | 'mean' | 'mean_with_sample_weight';

const REDUCTIONS: Reduction[] = ['sum_over_batch_size', 'sum', 'none', 'mean', 'mean_with_sample_weight'];

/** Constructor arguments every Loss accepts: `name`, `reduction` and `dtype`, as in Keras. */
export interface LossArgs {
  name?: string;
  reduction?: Reduction | null;
  dtype?: string | null;
}

/**
 * Keras's `squeeze_or_expand_to_same_rank`: when two tensors differ in rank by one and the larger one's
 * last axis is 1, that axis is dropped (or the rank-1 tensor gains it).
 */
export function squeezeOrExpandToSameRank(
  x1: tf.Tensor,
  x2: tf.Tensor,
  expandRank1 = true,
): [tf.Tensor, tf.Tensor] {
  const r1 = x1.rank;
  const r2 = x2.rank;
  if (r1 === r2) return [x1, x2];
  if (r1 === r2 + 1 && x1.shape[r1 - 1] === 1) {
    if (r2 === 1 && expandRank1) return [x1, tf.expandDims(x2, -1)];
    return [tf.squeeze(x1, [-1]), x2];
  }
  if (r2 === r1 + 1 && x2.shape[r2 - 1] === 1) {
    if (r1 === 1 && expandRank1) return [tf.expandDims(x1, -1), x2];
    return [x1, tf.squeeze(x2, [-1])];
  }
  return [x1, x2];
}

/** Keras's `reduce_values`. */
export function reduceValues(
  values: tf.Tensor,
  sampleWeight: tf.Tensor | null,
  reduction: Reduction,
): tf.Tensor {
  if (reduction === 'none' || values.rank === 0 || values.size === 0) return values;
  const total = tf.sum(values);
  if (reduction === 'sum') return total;
  if (reduction === 'mean_with_sample_weight' && sampleWeight) {
    // Not tf.divNoNan: its zero test sits on the gradient path and Equal has no gradient in tfjs.
    const divisor = tf.sum(sampleWeight);
    const isZero = tf.equal(divisor, 0);
    return tf.where(
      isZero,
      tf.zerosLike(divisor),
      tf.div(total, tf.where(isZero, tf.onesLike(divisor), divisor)),
    );
  }
  return tf.div(total, values.size);
}

/** Keras's `reduce_weighted_values`: weights per-sample values and reduces them. */
export function reduceWeightedValues(
  values: tf.Tensor,
  sampleWeight: tf.Tensor | null | undefined,
  reduction: Reduction,
): tf.Tensor {
  let sw: tf.Tensor | null = null;
  if (sampleWeight != null) {
    sw = sampleWeight.dtype === 'float32' ? sampleWeight : tf.cast(sampleWeight, 'float32');
    [values, sw] = squeezeOrExpandToSameRank(values, sw);
    values = tf.mul(values, sw);
  }
  return reduceValues(values, sw, reduction);
}

/**
 * The base class of losses (Keras's `Loss`). `call` returns per-sample values; `apply` weights and reduces
 * them. The default reduction is `sum_over_batch_size`.
 *
 * Keras: `keras.losses.Loss`
 *
 * @example
 * ```ts
 * class MeanCubedError extends Loss {
 *   override call(yTrue: tf.Tensor, yPred: tf.Tensor) {
 *     return tf.mean(tf.abs(tf.pow(tf.sub(yPred, yTrue), 3)), -1);
 *   }
 * }
 * model.compile({ optimizer: 'adam', loss: new MeanCubedError() });
 * ```
 */
export abstract class Loss {
  static className = 'Loss';

  name: string;
  reduction: Reduction;
  dtype: string;

  constructor(args: LossArgs = {}) {
    checkArgumentsAgainstConfig(new.target as never, args, BASE_LOSS_ARGUMENTS);
    // As in Keras, `null` means no reduction; leaving it out means the default.
    const reduction = args.reduction === undefined ? 'sum_over_batch_size' : (args.reduction ?? 'none');
    if (!REDUCTIONS.includes(reduction)) {
      throw new ValueError(
        `Invalid value for argument \`reduction\`. Expected one of ${JSON.stringify(REDUCTIONS)}. ` +
          `Received: reduction=${JSON.stringify(args.reduction)}`,
      );
    }
    this.reduction = reduction;
    this.name = args.name ?? toSnakeCase(this.getClassName());
    this.dtype = args.dtype ?? 'float32';
  }

  getClassName(): string {
    const ctor = this.constructor as typeof Loss;
    return Object.hasOwn(ctor, 'className') ? ctor.className : ctor.name;
  }

  /** Per-sample loss values (reduced over the last axis where the loss does so). */
  abstract call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;

  /** The loss, weighted by `sampleWeight` and reduced (Keras's `Loss.__call__`). */
  apply(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => {
      const yp = yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32');
      return reduceWeightedValues(this.call(yTrue, yp), sampleWeight, this.reduction);
    });
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction };
  }

  static fromConfig<T extends Loss>(this: new (args: any) => T, config: Record<string, any>): T {
    return withoutArgumentCheck(() => new this(config));
  }
}

/** A loss written as a plain function `(yTrue, yPred) => per-sample values`. */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
