import { type CallKwargs, Layer, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** Constructor arguments of `Rescaling`: Keras's arguments of the same names, in camelCase. */
export interface RescalingArgs extends LayerArgs {
  /** Multiplier (a number, or one per channel). */
  scale: number | number[];
  /** Added after scaling. Default 0. */
  offset?: number | number[];
}

/**
 * Rescales inputs: `output = inputs * scale + offset` (e.g. `scale: 1 / 255` maps pixels to [0, 1]).
 * Any input shape; the output has the same shape, float32.
 *
 * Keras: `keras.layers.Rescaling`
 *
 * @example
 * ```ts
 * const layer = new Rescaling({ scale: 1 / 255 });
 * layer.apply(tf.ones([1, 2, 2, 1])); // shape [1, 2, 2, 1]
 * ```
 */
export class Rescaling extends Layer {
  static override className = 'Rescaling';
  readonly scale: number | number[];
  readonly offset: number | number[];

  constructor(args: RescalingArgs) {
    const ok = (v: unknown) =>
      typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (!ok(args?.scale)) {
      throw new ValueError(
        `\`scale\` must be a number or a list of numbers. Received: scale=${JSON.stringify(args?.scale)}`,
      );
    }
    if (args.offset != null && !ok(args.offset)) {
      throw new ValueError(
        `\`offset\` must be a number or a list of numbers. Received: offset=${JSON.stringify(args.offset)}`,
      );
    }
    super(args);
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      return tf.add(tf.mul(xf, tf.tensor(this.scale)), tf.tensor(this.offset));
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

register('layer', 'Rescaling', Rescaling);
