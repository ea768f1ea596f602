import { type CallKwargs, Layer, type LayerArgs, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { SeedGenerator } from '../random/seed-generator.js';
import {
  affineTransform,
  checkDataFormat,
  checkFillMode,
  checkInterpolation,
  type FillMode,
  type Interpolation,
  onBatch,
} from './image-ops.js';

/** Arguments of every random affine image layer: Keras's arguments of the same names, in camelCase. */
export interface BaseRandomAffineArgs extends LayerArgs {
  /** How points outside the image are filled. Default 'reflect'. */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  seed?: number | null;
  /** Value for fillMode 'constant'. Default 0. */
  fillValue?: number;
  dataFormat?: 'channels_last' | null;
}

/**
 * The base of RandomRotation and RandomZoom: in training each image is resampled through a random projective
 * transform, which the subclass draws for the batch; at inference the input passes through. Input
 * `[B, H, W, C]` or `[H, W, C]`.
 *
 * Keras: `keras.src.layers.preprocessing.image_preprocessing.base_image_preprocessing_layer.BaseImagePreprocessingLayer`
 *
 * @example
 * ```ts
 * // The base of RandomRotation and RandomZoom.
 * const layer: BaseRandomAffine = new RandomZoom({ heightFactor: 0.2, seed: 42 });
 * layer.apply(tf.ones([1, 4, 4, 3]), { training: true }); // shape [1, 4, 4, 3]
 * ```
 */
export abstract class BaseRandomAffine extends Layer {
  static override className = 'BaseRandomAffine';
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly seed: number | null;
  readonly fillValue: number;
  readonly dataFormat: 'channels_last';
  protected readonly seedGenerator: SeedGenerator;

  constructor(args: BaseRandomAffineArgs) {
    super(args);
    this.fillMode = checkFillMode(args.fillMode ?? 'reflect');
    this.interpolation = checkInterpolation(args.interpolation ?? 'bilinear');
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.fillValue = args.fillValue ?? 0;
    this.dataFormat = checkDataFormat(args.dataFormat);
  }

  /**
   * The batch's transforms, `[batch, 8]`: each maps output points to input points as
   * `[a0, a1, a2, b0, b1, b2, c0, c1]` (Keras's `affine_transform`).
   */
  protected abstract drawTransforms(batch: number, height: number, width: number): tf.Tensor2D;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training) return tf.clone(x);
    return onBatch(x, this.name, (images) => {
      const [batch, h, w] = images.shape;
      const transforms = this.drawTransforms(batch, h, w);
      return affineTransform(images, transforms, this.interpolation, this.fillMode, this.fillValue);
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
}
