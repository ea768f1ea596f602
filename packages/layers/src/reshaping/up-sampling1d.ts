import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { positiveTuple } from './pair-args.js';

/** Constructor arguments of `UpSampling1D`: Keras's arguments of the same names, in camelCase. */
export interface UpSampling1DArgs extends LayerArgs {
  /** How many times each step is repeated. Default 2. */
  size?: number;
}

/**
 * Repeats each step of a `[batch, steps, features]` input `size` times.
 *
 * Keras: `keras.layers.UpSampling1D`
 *
 * @example
 * ```ts
 * const layer = new UpSampling1D({ size: 2 });
 * layer.apply(tf.ones([1, 3, 2])); // shape [1, 6, 2]
 * ```
 */
export class UpSampling1D extends Layer {
  static override className = 'UpSampling1D';
  readonly size: number;

  constructor(args: UpSampling1DArgs = {}) {
    super(args);
    this.size = positiveTuple(args.size ?? 2, 1, 'size')[0];
    this.inputSpec = { ndim: 3 };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [b, steps, features] = x.shape;
    return tf.tidy(() =>
      tf.reshape(tf.tile(tf.expandDims(x, 2), [1, 1, this.size, 1]), [b, steps * this.size, features]),
    );
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const steps = inputShape[1];
    return [inputShape[0], steps == null ? null : steps * this.size, inputShape[2]];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size };
  }
}

register('layer', 'UpSampling1D', UpSampling1D);
