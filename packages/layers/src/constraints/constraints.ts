import { type Constraint as ConstraintLike, register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

// Keras's backend.epsilon(): keeps the division finite for all-zero weight slices.
const EPSILON = 1e-7;

/**
 * The base class of weight constraints (Keras's `keras.constraints.Constraint`): `apply(w)` returns the
 * projected weight, which the optimizer writes back after each update.
 *
 * Keras: `keras.constraints.Constraint`
 *
 * @example
 * ```ts
 * class NonNegativeBelowOne extends Constraint {
 *   override apply(w: tf.Tensor) {
 *     return tf.clipByValue(w, 0, 1);
 *   }
 * }
 * const layer = new Dense({ units: 4, kernelConstraint: new NonNegativeBelowOne() });
 * ```
 */
export abstract class Constraint implements ConstraintLike {
  static className = 'Constraint';

  abstract apply(w: tf.Tensor): tf.Tensor;

  getConfig(): Record<string, unknown> {
    return {};
  }

  static fromConfig<T extends Constraint>(this: new (args: any) => T, config: Record<string, any>): T {
    return new this(config);
  }
}

type Axis = number | number[];

function l2Norms(w: tf.Tensor, axis: Axis): tf.Tensor {
  return tf.sqrt(tf.sum(tf.square(w), axis, true));
}

/** Constructor arguments of `MaxNorm`: Keras's arguments of the same names, in camelCase. */
export interface MaxNormArgs {
  /** The largest norm allowed. Default 2. */
  maxValue?: number;
  /** The axis (or axes) along which norms are taken; 0 for a Dense kernel's incoming weights. Default 0. */
  axis?: Axis;
}

/**
 * Rescales each slice along `axis` whose L2 norm exceeds `maxValue` down to `maxValue`.
 *
 * Keras: `keras.constraints.MaxNorm`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelConstraint: new MaxNorm({ maxValue: 2 }) });
 * new MaxNorm({ maxValue: 2 }).apply(tf.ones([3, 4])); // shape [3, 4]
 * ```
 */
export class MaxNorm extends Constraint {
  static override className = 'MaxNorm';
  readonly maxValue: number;
  readonly axis: Axis;

  constructor(args: MaxNormArgs = {}) {
    super();
    this.maxValue = args.maxValue ?? 2;
    this.axis = args.axis ?? 0;
  }

  apply(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const norms = l2Norms(w, this.axis);
      const desired = tf.clipByValue(norms, 0, this.maxValue);
      return tf.mul(w, tf.div(desired, tf.add(norms, EPSILON)));
    });
  }

  override getConfig(): Record<string, unknown> {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}

/** Constructor arguments of `MinMaxNorm`: Keras's arguments of the same names, in camelCase. */
export interface MinMaxNormArgs {
  /** Default 0. */
  minValue?: number;
  /** Default 1. */
  maxValue?: number;
  /** How far to move toward the clipped norm each time: 1 clips at once. Default 1. */
  rate?: number;
  /** Default 0. */
  axis?: Axis;
}

/**
 * Keeps each slice's L2 norm within `[minValue, maxValue]`, moving toward it at `rate`.
 *
 * Keras: `keras.constraints.MinMaxNorm`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelConstraint: new MinMaxNorm({ minValue: 0.5, maxValue: 1 }) });
 * new MinMaxNorm({ minValue: 0.5, maxValue: 1 }).apply(tf.ones([3, 4])); // shape [3, 4]
 * ```
 */
export class MinMaxNorm extends Constraint {
  static override className = 'MinMaxNorm';
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  readonly axis: Axis;

  constructor(args: MinMaxNormArgs = {}) {
    super();
    this.minValue = args.minValue ?? 0;
    this.maxValue = args.maxValue ?? 1;
    this.rate = args.rate ?? 1;
    this.axis = args.axis ?? 0;
  }

  apply(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const norms = l2Norms(w, this.axis);
      const clipped = tf.clipByValue(norms, this.minValue, this.maxValue);
      const desired = tf.add(tf.mul(this.rate, clipped), tf.mul(1 - this.rate, norms));
      return tf.mul(w, tf.div(desired, tf.add(norms, EPSILON)));
    });
  }

  override getConfig(): Record<string, unknown> {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}

/**
 * Sets negative weights to zero.
 *
 * Keras: `keras.constraints.NonNeg`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelConstraint: new NonNeg() });
 * new NonNeg().apply(tf.tensor2d([[-1, 2]])); // shape [1, 2]
 * ```
 */
export class NonNeg extends Constraint {
  static override className = 'NonNeg';

  constructor(_args: Record<string, never> = {}) {
    super();
  }

  apply(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(w, tf.cast(tf.greaterEqual(w, 0), w.dtype)));
  }
}

/** Constructor arguments of `UnitNorm`: Keras's arguments of the same names, in camelCase. */
export interface UnitNormArgs {
  /** Default 0. */
  axis?: Axis;
}

/**
 * Divides each slice along `axis` by its L2 norm.
 *
 * Keras: `keras.constraints.UnitNorm`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, kernelConstraint: new UnitNorm({ axis: 0 }) });
 * new UnitNorm({ axis: 0 }).apply(tf.ones([3, 4])); // shape [3, 4]
 * ```
 */
export class UnitNorm extends Constraint {
  static override className = 'UnitNorm';
  readonly axis: Axis;

  constructor(args: UnitNormArgs = {}) {
    super();
    this.axis = args.axis ?? 0;
  }

  apply(w: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(w, tf.add(l2Norms(w, this.axis), EPSILON)));
  }

  override getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

register('constraint', 'MaxNorm', MaxNorm, { aliases: ['max_norm'] });
register('constraint', 'MinMaxNorm', MinMaxNorm, { aliases: ['min_max_norm'] });
register('constraint', 'NonNeg', NonNeg, { aliases: ['non_neg'] });
register('constraint', 'UnitNorm', UnitNorm, { aliases: ['unit_norm'] });
