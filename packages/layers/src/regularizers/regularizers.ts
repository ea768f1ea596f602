import { type Regularizer as RegularizerLike, register, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** Keras's `validate_float_arg`: a finite, non-negative number. */
function nonNegativeFloat(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(
      `Invalid value for argument ${name}: expected a non-negative float. Received: ${name}=${value}`,
    );
  }
  return value;
}

/**
 * The base class of weight regularizers (Keras's `keras.regularizers.Regularizer`): `apply(w)` returns a
 * scalar penalty, which the training step adds to the loss through the layer's `losses`.
 *
 * Keras: `keras.regularizers.Regularizer`
 *
 * @example
 * ```ts
 * class SumOfSquares extends Regularizer {
 *   override apply(w: tf.Tensor) {
 *     return tf.mul(0.01, tf.sum(tf.square(w))) as tf.Scalar;
 *   }
 * }
 * const layer = new Dense({ units: 4, kernelRegularizer: new SumOfSquares() });
 * ```
 */
export abstract class Regularizer implements RegularizerLike {
  static className = 'Regularizer';

  abstract apply(w: tf.Tensor): tf.Scalar;

  getConfig(): Record<string, unknown> {
    return {};
  }

  static fromConfig<T extends Regularizer>(this: new (args: any) => T, config: Record<string, any>): T {
    return new this(config);
  }
}

/** Constructor arguments of `L1`: Keras's arguments of the same names, in camelCase. */
export interface L1Args {
  /** Default 0.01. */
  l1?: number;
}

/**
 * `l1 * sum(abs(w))`.
 *
 * Keras: `keras.regularizers.L1`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelRegularizer: new L1({ l1: 0.01 }) });
 * new L1({ l1: 0.01 }).apply(tf.ones([3, 4])); // shape []
 * ```
 */
export class L1 extends Regularizer {
  static override className = 'L1';
  readonly l1: number;

  constructor(args: L1Args = {}) {
    super();
    this.l1 = nonNegativeFloat(args.l1 ?? 0.01, 'l1');
  }

  apply(w: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.mul(this.l1, tf.sum(tf.abs(w))));
  }

  override getConfig(): Record<string, unknown> {
    return { l1: this.l1 };
  }
}

/** Constructor arguments of `L2`: Keras's arguments of the same names, in camelCase. */
export interface L2Args {
  /** Default 0.01. */
  l2?: number;
}

/**
 * `l2 * sum(square(w))`.
 *
 * Keras: `keras.regularizers.L2`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelRegularizer: new L2({ l2: 0.01 }) });
 * new L2({ l2: 0.01 }).apply(tf.ones([3, 4])); // shape []
 * ```
 */
export class L2 extends Regularizer {
  static override className = 'L2';
  readonly l2: number;

  constructor(args: L2Args = {}) {
    super();
    this.l2 = nonNegativeFloat(args.l2 ?? 0.01, 'l2');
  }

  apply(w: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.mul(this.l2, tf.sum(tf.square(w))));
  }

  override getConfig(): Record<string, unknown> {
    return { l2: this.l2 };
  }
}

/** Constructor arguments of `L1L2`: Keras's arguments of the same names, in camelCase. */
export interface L1L2Args {
  /** Default 0. */
  l1?: number;
  /** Default 0. */
  l2?: number;
}

/**
 * `l1 * sum(abs(w)) + l2 * sum(square(w))`; both factors default to 0, as in Keras 3.
 *
 * Keras: `keras.regularizers.L1L2`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelRegularizer: new L1L2({ l1: 0.01, l2: 0.01 }) });
 * new L1L2({ l1: 0.01, l2: 0.01 }).apply(tf.ones([3, 4])); // shape []
 * ```
 */
export class L1L2 extends Regularizer {
  static override className = 'L1L2';
  readonly l1: number;
  readonly l2: number;

  constructor(args: L1L2Args = {}) {
    super();
    this.l1 = nonNegativeFloat(args.l1 ?? 0, 'l1');
    this.l2 = nonNegativeFloat(args.l2 ?? 0, 'l2');
  }

  apply(w: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      let penalty: tf.Scalar = tf.scalar(0);
      if (this.l1) penalty = tf.add(penalty, tf.mul(this.l1, tf.sum(tf.abs(w))));
      if (this.l2) penalty = tf.add(penalty, tf.mul(this.l2, tf.sum(tf.square(w))));
      return penalty;
    });
  }

  override getConfig(): Record<string, unknown> {
    return { l1: this.l1, l2: this.l2 };
  }
}

register('regularizer', 'L1', L1, { aliases: ['l1'] });
register('regularizer', 'L2', L2, { aliases: ['l2'] });
register('regularizer', 'L1L2', L1L2, { aliases: ['l1_l2', 'l1l2'] });
