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

/** Constructor arguments of `RandomZoom`: Keras's arguments of the same names, in camelCase. */
export interface RandomZoomArgs extends LayerArgs {
  /** Vertical zoom: f means [-f, f]; positive zooms out, negative zooms in (the scale is 1 + value). */
  heightFactor: number | [number, number];
  /** Horizontal zoom; null (default) keeps the aspect ratio by using the vertical zoom. */
  widthFactor?: number | [number, number] | null;
  /** Default 'reflect'. */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  seed?: number | null;
  fillValue?: number;
  dataFormat?: 'channels_last' | null;
}

/**
 * Zooms each image in or out by a random amount during training; identity at inference.
 *
 * Keras: `keras.layers.RandomZoom`
 *
 * @example
 * ```ts
 * const layer = new RandomZoom({ heightFactor: 0.2, seed: 42 });
 * layer.apply(tf.ones([1, 4, 4, 3]), { training: true }); // shape [1, 4, 4, 3]
 * ```
 */
export class RandomZoom extends Layer {
  static override className = 'RandomZoom';
  readonly heightFactor: number | [number, number];
  readonly widthFactor: number | [number, number] | null;
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly seed: number | null;
  readonly fillValue: number;
  readonly dataFormat: 'channels_last';
  private readonly heightRange: [number, number];
  private readonly widthRange: [number, number] | null;
  private readonly seedGenerator: SeedGenerator;

  constructor(args: RandomZoomArgs) {
    const heightRange = factorRange(args?.heightFactor, 'height_factor');
    const widthRange = args.widthFactor == null ? null : factorRange(args.widthFactor, 'width_factor');
    super(args);
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor ?? null;
    this.heightRange = heightRange;
    this.widthRange = widthRange;
    this.fillMode = checkFillMode(args.fillMode ?? 'reflect');
    this.interpolation = checkInterpolation(args.interpolation ?? 'bilinear');
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.fillValue = args.fillValue ?? 0;
    this.dataFormat = checkDataFormat(args.dataFormat);
  }

  private draw(batch: number, [lo, hi]: [number, number]): tf.Tensor1D {
    if (lo === hi) return tf.fill([batch], 1 + lo);
    return tf.randomUniform([batch], 1 + lo, 1 + hi, 'float32', this.seedGenerator.next());
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training) return tf.clone(x);
    return onBatch(x, this.name, (images) => {
      const [batch, h, w] = images.shape;
      const hZoom = this.draw(batch, this.heightRange);
      const wZoom = this.widthRange ? this.draw(batch, this.widthRange) : hZoom;
      const xOffset = tf.mul((w - 1) / 2, tf.sub(1, wZoom));
      const yOffset = tf.mul((h - 1) / 2, tf.sub(1, hZoom));
      const zeros = tf.zeros([batch]);
      const transforms = tf.stack(
        [wZoom, zeros, xOffset, zeros, hZoom, yOffset, zeros, zeros],
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
      heightFactor: this.heightFactor,
      widthFactor: this.widthFactor,
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      seed: this.seed,
      fillValue: this.fillValue,
      dataFormat: this.dataFormat,
    };
  }
}

register('layer', 'RandomZoom', RandomZoom);
