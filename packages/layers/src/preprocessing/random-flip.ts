import { type CallKwargs, Layer, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { SeedGenerator } from '../random/seed-generator.js';
import { checkDataFormat, onBatch } from './image-ops.js';

/** Which way `RandomFlip` flips: `'horizontal'`, `'vertical'` or `'horizontal_and_vertical'`. */
export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

/** Constructor arguments of `RandomFlip`: Keras's arguments of the same names, in camelCase. */
export interface RandomFlipArgs extends LayerArgs {
  /** Which flips to draw. Default 'horizontal_and_vertical'. */
  mode?: FlipMode;
  /** Integer seed for a reproducible sequence of flips. */
  seed?: number | null;
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last' | null;
}

const MODES: FlipMode[] = ['horizontal', 'vertical', 'horizontal_and_vertical'];

/**
 * Flips each image left-right and/or up-down with probability 1/2 per flip, during training only; at
 * inference it passes images through. Input `[B, H, W, C]` or `[H, W, C]`.
 *
 * Keras: `keras.layers.RandomFlip`
 *
 * @example
 * ```ts
 * const layer = new RandomFlip({ mode: 'horizontal', seed: 42 });
 * layer.apply(tf.ones([1, 4, 4, 3]), { training: true }); // shape [1, 4, 4, 3]
 * ```
 */
export class RandomFlip extends Layer {
  static override className = 'RandomFlip';
  readonly mode: FlipMode;
  readonly seed: number | null;
  readonly dataFormat: 'channels_last';
  private readonly seedGenerator: SeedGenerator;

  constructor(args: RandomFlipArgs = {}) {
    super(args);
    this.mode = args.mode ?? 'horizontal_and_vertical';
    if (!MODES.includes(this.mode)) {
      throw new ValueError(
        `RandomFlip layer ${this.name} received an unknown mode argument ${this.mode}. Expected one of ${JSON.stringify(MODES)}. Received: mode=${this.mode}`,
      );
    }
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.dataFormat = checkDataFormat(args.dataFormat);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training) return tf.clone(x);
    return onBatch(x, this.name, (images) => {
      const batch = images.shape[0];
      const maybeFlip = (img: tf.Tensor4D, axis: number) => {
        const draw = tf.less(
          tf.randomUniform([batch, 1, 1, 1], 0, 1, 'float32', this.seedGenerator.next()),
          0.5,
        );
        return tf.where(tf.broadcastTo(draw, img.shape), tf.reverse(img, axis), img) as tf.Tensor4D;
      };
      let out = images;
      if (this.mode !== 'vertical') out = maybeFlip(out, 2);
      if (this.mode !== 'horizontal') out = maybeFlip(out, 1);
      return out;
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mode: this.mode, seed: this.seed, dataFormat: this.dataFormat };
  }
}

register('layer', 'RandomFlip', RandomFlip);
