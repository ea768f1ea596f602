import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { SeedGenerator } from '../random/seed-generator.js';
import {
  affineTransform,
  checkDataFormat,
  checkFillMode,
  checkInterpolation,
  type FillMode,
  factorRange,
  type Interpolation,
  onBatch,
} from './image-ops.js';

/** Constructor arguments of `RandomRotation`: Keras's arguments of the same names, in camelCase. */
export interface RandomRotationArgs extends LayerArgs {
  /** Fraction of a full turn: f means an angle in [-f·2π, f·2π]; [lo, hi] means [lo·2π, hi·2π]. */
  factor: number | [number, number];
  /** How points outside the image are filled. Default 'reflect'. */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  seed?: number | null;
  /** Value for fillMode 'constant'. Default 0. */
  fillValue?: number;
  /** Range of the input values. Default [0, 255]. */
  valueRange?: [number, number];
  dataFormat?: 'channels_last' | null;
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
export class RandomRotation extends Layer {
  static override className = 'RandomRotation';
  readonly factor: number | [number, number];
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly seed: number | null;
  readonly fillValue: number;
  readonly valueRange: [number, number];
  readonly dataFormat: 'channels_last';
  private readonly range: [number, number];
  private readonly seedGenerator: SeedGenerator;

  constructor(args: RandomRotationArgs) {
    const range = factorRange(args?.factor, 'factor');
    super(args);
    this.factor = args.factor;
    this.range = range;
    this.fillMode = checkFillMode(args.fillMode ?? 'reflect');
    this.interpolation = checkInterpolation(args.interpolation ?? 'bilinear');
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.fillValue = args.fillValue ?? 0;
    this.valueRange = args.valueRange ?? [0, 255];
    this.dataFormat = checkDataFormat(args.dataFormat);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training) return tf.clone(x);
    return onBatch(x, this.name, (images) => {
      const [batch, h, w] = images.shape;
      const [lo, hi] = this.range;
      const angles =
        lo === hi
          ? tf.fill([batch], lo * 2 * Math.PI)
          : tf.randomUniform(
              [batch],
              lo * 2 * Math.PI,
              hi * 2 * Math.PI,
              'float32',
              this.seedGenerator.next(),
            );
      const cos = tf.cos(angles);
      const sin = tf.sin(angles);
      // Keras's rotation about the image centre, as a projective transform from output to input points.
      const xOffset = tf.div(tf.sub(w - 1, tf.sub(tf.mul(cos, w - 1), tf.mul(sin, h - 1))), 2);
      const yOffset = tf.div(tf.sub(h - 1, tf.add(tf.mul(sin, w - 1), tf.mul(cos, h - 1))), 2);
      const zeros = tf.zeros([batch]);
      const transforms = tf.stack(
        [cos, tf.neg(sin), xOffset, sin, cos, yOffset, zeros, zeros],
        1,
      ) as tf.Tensor2D;
      return affineTransform(images, transforms, this.interpolation, this.fillMode, this.fillValue);
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
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
