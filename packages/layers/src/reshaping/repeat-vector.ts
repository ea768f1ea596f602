import { type CallKwargs, Layer, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** Constructor arguments of `RepeatVector`: Keras's arguments of the same names, in camelCase. */
export interface RepeatVectorArgs extends LayerArgs {
  /** How many times to repeat the input. */
  n: number;
}

/**
 * Repeats a `[batch, features]` input `n` times: output `[batch, n, features]`.
 *
 * Keras: `keras.layers.RepeatVector`
 *
 * @example
 * ```ts
 * const layer = new RepeatVector({ n: 3 });
 * layer.apply(tf.ones([2, 4])); // shape [2, 3, 4]
 * ```
 */
export class RepeatVector extends Layer {
  static override className = 'RepeatVector';
  readonly n: number;

  constructor(args: RepeatVectorArgs) {
    super(args);
    const n = args?.n;
    if (!Number.isInteger(n) || n < 0) {
      throw new ValueError(`Expected a non-negative integer value for \`n\`. Received: n=${n}`);
    }
    this.n = n;
    this.inputSpec = { ndim: 2 };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.tile(tf.expandDims(x, 1), [1, this.n, 1]));
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], this.n, inputShape[1]];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }
}

register('layer', 'RepeatVector', RepeatVector);
