import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** Constructor arguments of `Masking`: Keras's arguments of the same names, in camelCase. */
export interface MaskingArgs extends LayerArgs {
  /** Timesteps whose features all equal this value are masked. Default 0. */
  maskValue?: number;
}

/**
 * Masks timesteps: where every feature of `inputs[b, t, :]` equals `maskValue`, the output is zero there
 * and the mask passed downstream is false.
 *
 * Keras: `keras.layers.Masking`
 *
 * @example
 * ```ts
 * const layer = new Masking({ maskValue: 0 });
 * layer.apply(tf.ones([2, 5, 3])); // shape [2, 5, 3]
 * ```
 */
export class Masking extends Layer {
  static override className = 'Masking';
  readonly maskValue: number;

  constructor(args: MaskingArgs = {}) {
    super(args);
    this.maskValue = args.maskValue ?? 0;
    this.supportsMasking = true;
  }

  private keep(x: tf.Tensor): tf.Tensor {
    return tf.any(tf.notEqual(x, this.maskValue), -1, true);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    // The keep mask is piecewise constant; tfjs has no gradient for `any`, so the gradient is given here.
    const masked = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const input = args[0] as tf.Tensor;
      const save = args[1] as tf.GradSaveFunc;
      const keep = tf.cast(this.keep(input), input.dtype);
      save([keep]);
      return {
        value: tf.mul(input, keep),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]),
      };
    });
    return masked(x) as tf.Tensor;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.squeeze(this.keep(x), [-1]));
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}

register('layer', 'Masking', Masking);
