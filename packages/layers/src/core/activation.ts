import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import {
  type ActivationFn,
  type ActivationIdentifier,
  getActivation,
  serializeActivation,
} from '../activations/index.js';

/** Constructor arguments of `Activation`: Keras's arguments of the same names, in camelCase. */
export interface ActivationArgs extends LayerArgs {
  /** The activation: a registered name such as 'relu', or a function. */
  activation: ActivationIdentifier;
}

/**
 * Applies an activation function to its input. Output shape = input shape.
 *
 * Keras: `keras.layers.Activation`
 *
 * @example
 * ```ts
 * new Activation({ activation: 'relu' }).apply(tf.tensor([-1, 2])); // [0, 2]
 * ```
 */
export class Activation extends Layer {
  static override className = 'Activation';
  readonly activation: ActivationFn;

  constructor(args: ActivationArgs) {
    super(args);
    this.activation = getActivation(args?.activation);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const y = this.activation(x);
    // `linear` returns its input; the caller owns what a layer returns, so hand back a separate handle.
    return y === x ? tf.clone(x) : y;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: serializeActivation(this.activation) };
  }
}

register('layer', 'Activation', Activation);
