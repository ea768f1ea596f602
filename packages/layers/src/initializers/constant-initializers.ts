import { formatShape, register, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Initializer } from './initializer.js';

/** Constructor arguments of `Constant`: Keras's arguments of the same names, in camelCase. */
export interface ConstantArgs {
  /** The value every element gets. Default 0. */
  value?: number;
}

/**
 * Fills the tensor with one scalar value.
 *
 * Keras: `keras.initializers.Constant`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, biasInitializer: new Constant({ value: 0.1 }) });
 * new Constant({ value: 0.1 }).apply([2, 3]); // shape [2, 3]
 * ```
 */
export class Constant extends Initializer {
  static override className = 'Constant';
  readonly value: number;

  constructor(args: ConstantArgs = {}) {
    super();
    const value = args.value ?? 0;
    if (typeof value !== 'number') {
      throw new ValueError(
        `Constant initializer only accepts a scalar value. Received: value=${JSON.stringify(value)}`,
      );
    }
    this.value = value;
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.fill(shape, this.value, dtype);
  }

  override getConfig(): Record<string, unknown> {
    return { value: this.value };
  }
}

/**
 * Fills the tensor with 0 (the default bias initializer).
 *
 * Keras: `keras.initializers.Zeros`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 4, biasInitializer: new Zeros() });
 * new Zeros().apply([2, 3]); // shape [2, 3]
 * ```
 */
export class Zeros extends Initializer {
  static override className = 'Zeros';

  constructor(_args: Record<string, never> = {}) {
    super();
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.zeros(shape, dtype);
  }
}

/**
 * Fills the tensor with 1.
 *
 * Keras: `keras.initializers.Ones`
 *
 * @example
 * ```ts
 * new Ones().apply([2, 3]); // shape [2, 3]
 * ```
 */
export class Ones extends Initializer {
  static override className = 'Ones';

  constructor(_args: Record<string, never> = {}) {
    super();
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.ones(shape, dtype);
  }
}

/** Constructor arguments of `Identity`: Keras's arguments of the same names, in camelCase. */
export interface IdentityArgs {
  /** Multiplies the identity matrix. Default 1. */
  gain?: number;
}

/**
 * The (possibly rectangular) identity matrix times `gain`; 2D shapes only.
 *
 * Keras: `keras.initializers.Identity`
 *
 * @example
 * ```ts
 * new initializers.Identity().apply([3, 3]); // shape [3, 3]
 * ```
 */
export class Identity extends Initializer {
  static override className = 'Identity';
  readonly gain: number;

  constructor(args: IdentityArgs = {}) {
    super();
    this.gain = args.gain ?? 1;
  }

  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    if (shape.length !== 2) {
      throw new ValueError(
        `Identity matrix initializer can only be used for 2D matrices. Received: shape=${formatShape(shape)} of rank ${shape.length}.`,
      );
    }
    return tf.tidy(() => tf.cast(tf.mul(tf.eye(shape[0], shape[1]), this.gain), dtype));
  }

  override getConfig(): Record<string, unknown> {
    return { gain: this.gain };
  }
}

register('initializer', 'Constant', Constant, { aliases: ['constant'] });
register('initializer', 'Zeros', Zeros, { aliases: ['zeros', 'zero'] });
register('initializer', 'Ones', Ones, { aliases: ['ones', 'one'] });
register('initializer', 'Identity', Identity, { aliases: ['identity', 'IdentityInitializer'] });
