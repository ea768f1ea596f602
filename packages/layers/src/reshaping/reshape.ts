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

/** Constructor arguments of `Reshape`: Keras's arguments of the same names, in camelCase. */
export interface ReshapeArgs extends LayerArgs {
  /** The output shape without the batch axis; one entry may be -1 (inferred). */
  targetShape: number[];
}

/**
 * Reshapes each sample to `targetShape`, keeping the batch axis.
 *
 * Keras: `keras.layers.Reshape`
 *
 * @example
 * ```ts
 * const layer = new Reshape({ targetShape: [3, 2] });
 * layer.apply(tf.ones([2, 6])); // shape [2, 3, 2]
 * ```
 */
export class Reshape extends Layer {
  static override className = 'Reshape';
  readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super(args);
    const target = args?.targetShape;
    if (!Array.isArray(target) || target.some((d) => !Number.isInteger(d) || (d < 0 && d !== -1))) {
      throw new ValueError(
        `The \`target_shape\` argument must be a list of non-negative integers or -1. Received: target_shape=${JSON.stringify(target)}`,
      );
    }
    if (target.filter((d) => d === -1).length > 1) {
      throw new ValueError(
        `There must be at most one unknown dimension (-1) in target_shape. Received: target_shape=${formatShape(target)}`,
      );
    }
    this.targetShape = target.slice();
  }

  /** The target shape with -1 resolved for samples of the given shape (or left null when unknown). */
  private resolve(sampleShape: Shape): Shape {
    const out: Shape = this.targetShape.slice();
    const unknown = out.indexOf(-1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const total = sampleShape.some((d) => d == null)
      ? null
      : (sampleShape as number[]).reduce((a, b) => a * b, 1);
    if (total == null) {
      if (unknown >= 0) out[unknown] = null;
      return out;
    }
    if (unknown >= 0 ? known === 0 || total % known !== 0 : total !== known) {
      throw new ValueError(
        `Layer "${this.name}": the total size of the new array must be unchanged. ` +
          `Received: input_shape=${formatShape(sampleShape)}, target_shape=${formatShape(this.targetShape)}`,
      );
    }
    if (unknown >= 0) out[unknown] = total / known;
    return out;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const target = this.resolve(x.shape.slice(1)) as number[];
    return tf.reshape(x, [x.shape[0], ...target]);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], ...this.resolve(inputShape.slice(1))];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}

register('layer', 'Reshape', Reshape);
