import type { Initializer as InitializerLike } from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * The base class of initializers (Keras's `keras.initializers.Initializer`): `apply(shape, dtype)`
 * returns a new tensor that the caller owns.
 *
 * Keras: `keras.initializers.Initializer`
 *
 * @example
 * ```ts
 * class Halves extends Initializer {
 *   override apply(shape: number[]) {
 *     return tf.fill(shape, 0.5);
 *   }
 * }
 * const layer = new Dense({ units: 4, kernelInitializer: new Halves() });
 * ```
 */
export abstract class Initializer implements InitializerLike {
  static className = 'Initializer';

  abstract apply(shape: number[], dtype?: tf.DataType): tf.Tensor;

  getConfig(): Record<string, unknown> {
    return {};
  }

  static fromConfig<T extends Initializer>(this: new (args: any) => T, config: Record<string, any>): T {
    return new this(config);
  }
}
