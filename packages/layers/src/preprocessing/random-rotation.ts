import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { BaseRandomAffine, type BaseRandomAffineArgs } from './base-random-affine.js';
import { factorRange } from './image-ops.js';

/** Constructor arguments of `RandomRotation`: Keras's arguments of the same names, in camelCase. */
export interface RandomRotationArgs extends BaseRandomAffineArgs {
  /** Fraction of a full turn: f means an angle in [-f·2π, f·2π]; [lo, hi] means [lo·2π, hi·2π]. */
  factor: number | [number, number];
  /** Range of the input values. Default [0, 255]. */
  valueRange?: [number, number];
}

/**
 * Rotates each image by a random angle during training (positive: counter-clockwise); identity at
 * inference. Input `[B, H, W, C]` or `[H, W, C]`.
 *
 * Keras: `keras.layers.RandomRotation`
 *
 * @example
 * ```ts
 * const layer = new RandomRotation({ factor: 0.1, seed: 42 });
 * layer.apply(tf.ones([1, 4, 4, 3]), { training: true }); // shape [1, 4, 4, 3]
 * ```
 */
export class RandomRotation extends BaseRandomAffine {
  static override className = 'RandomRotation';
  readonly factor: number | [number, number];
  readonly valueRange: [number, number];
  private readonly range: [number, number];

  constructor(args: RandomRotationArgs) {
    const range = factorRange(args?.factor, 'factor');
    super(args);
    this.factor = args.factor;
    this.range = range;
    this.valueRange = args.valueRange ?? [0, 255];
  }

  protected drawTransforms(batch: number, h: number, w: number): tf.Tensor2D {
    const [lo, hi] = this.range;
    const angles =
      lo === hi
        ? tf.fill([batch], lo * 2 * Math.PI)
        : tf.randomUniform([batch], lo * 2 * Math.PI, hi * 2 * Math.PI, 'float32', this.seedGenerator.next());
    const cos = tf.cos(angles);
    const sin = tf.sin(angles);
    // Keras's rotation about the image centre, as a projective transform from output to input points.
    const xOffset = tf.div(tf.sub(w - 1, tf.sub(tf.mul(cos, w - 1), tf.mul(sin, h - 1))), 2);
    const yOffset = tf.div(tf.sub(h - 1, tf.add(tf.mul(sin, w - 1), tf.mul(cos, h - 1))), 2);
    const zeros = tf.zeros([batch]);
    return tf.stack([cos, tf.neg(sin), xOffset, sin, cos, yOffset, zeros, zeros], 1) as tf.Tensor2D;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      factor: this.factor,
      valueRange: this.valueRange,
      dataFormat: this.dataFormat,
      fillMode: this.fillMode,
      fillValue: this.fillValue,
      interpolation: this.interpolation,
      seed: this.seed,
    };
  }
}

register('layer', 'RandomRotation', RandomRotation);
