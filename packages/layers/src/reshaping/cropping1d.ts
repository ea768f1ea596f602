import {
  type CallKwargs,
  formatShape,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { symmetricPair } from './pair-args.js';

/** Constructor arguments of `Cropping1D`: Keras's arguments of the same names, in camelCase. */
export interface Cropping1DArgs extends LayerArgs {
  /** Steps removed at the start and end: an integer or `[start, end]`. Default [1, 1]. */
  cropping?: number | [number, number];
}

/**
 * Crops the steps axis of a `[batch, steps, features]` input.
 *
 * Keras: `keras.layers.Cropping1D`
 *
 * @example
 * ```ts
 * const layer = new Cropping1D({ cropping: [1, 1] });
 * layer.apply(tf.ones([1, 5, 2])); // shape [1, 3, 2]
 * ```
 */
export class Cropping1D extends Layer {
  static override className = 'Cropping1D';
  readonly cropping: [number, number];

  constructor(args: Cropping1DArgs = {}) {
    super(args);
    this.cropping = symmetricPair(args.cropping ?? [1, 1], 'cropping');
    this.inputSpec = { ndim: 3 };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [, steps] = this.computeOutputShape(x.shape);
    return tf.slice(x, [0, this.cropping[0], 0], [-1, steps as number, -1]);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const steps = inputShape[1];
    if (steps == null) return [inputShape[0], null, inputShape[2]];
    const left = steps - this.cropping[0] - this.cropping[1];
    if (left <= 0) {
      throw new ValueError(
        `Layer "${this.name}": \`cropping\` parameter of \`Cropping1D\` layer must be smaller than the input length. ` +
          `Received: input_shape=${formatShape(inputShape)}, cropping=${formatShape(this.cropping)}`,
      );
    }
    return [inputShape[0], left, inputShape[2]];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: this.cropping };
  }
}

register('layer', 'Cropping1D', Cropping1D);
