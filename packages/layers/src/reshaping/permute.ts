import { type CallKwargs, Layer, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** Constructor arguments of `Permute`: Keras's arguments of the same names, in camelCase. */
export interface PermuteArgs extends LayerArgs {
  /** A permutation of the sample axes, 1-based (the batch axis stays first): [2, 1] swaps axes 1 and 2. */
  dims: number[];
}

/**
 * Permutes the non-batch axes, e.g. `[batch, a, b]` with dims [2, 1] becomes `[batch, b, a]`.
 *
 * Keras: `keras.layers.Permute`
 *
 * @example
 * ```ts
 * const layer = new Permute({ dims: [2, 1] });
 * layer.apply(tf.ones([2, 3, 4])); // shape [2, 4, 3]
 * ```
 */
export class Permute extends Layer {
  static override className = 'Permute';
  readonly dims: number[];

  constructor(args: PermuteArgs) {
    super(args);
    const dims = args?.dims;
    const sorted = Array.isArray(dims) ? [...dims].sort((a, b) => a - b) : [];
    if (!Array.isArray(dims) || sorted.some((d, i) => d !== i + 1)) {
      throw new ValueError(
        'Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be consecutive ' +
          `and start from 1. Received dims=${JSON.stringify(dims)}`,
      );
    }
    this.dims = dims.slice();
    this.inputSpec = { ndim: this.dims.length + 1 };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.transpose(x, [0, ...this.dims]);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], ...this.dims.map((d) => inputShape[d])];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: this.dims };
  }
}

register('layer', 'Permute', Permute);
