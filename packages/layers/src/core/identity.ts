import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Returns its input unchanged; a placeholder, e.g. where an optional block is switched off.
 *
 * Keras: `keras.layers.Identity`
 *
 * @example
 * ```ts
 * const layer = new Identity();
 * layer.apply(tf.ones([2, 3])); // shape [2, 3]
 * ```
 */
export class Identity extends Layer {
  static override className = 'Identity';

  constructor(args: LayerArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor | tf.Tensor[] {
    // A clone shares the data, but lets the caller dispose the output without disposing the input.
    return Array.isArray(inputs) ? inputs.map((t) => tf.clone(t)) : tf.clone(inputs);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }
}

register('layer', 'Identity', Identity);
