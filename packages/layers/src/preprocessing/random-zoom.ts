import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { BaseRandomAffine, type BaseRandomAffineArgs } from './base-random-affine.js';
import { factorRange } from './image-ops.js';

/** Constructor arguments of `RandomZoom`: Keras's arguments of the same names, in camelCase. */
export interface RandomZoomArgs extends BaseRandomAffineArgs {
  /** Vertical zoom: f means [-f, f]; positive zooms out, negative zooms in (the scale is 1 + value). */
  heightFactor: number | [number, number];
  /** Horizontal zoom; null (default) keeps the aspect ratio by using the vertical zoom. */
  widthFactor?: number | [number, number] | null;
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
export class RandomZoom extends BaseRandomAffine {
  static override className = 'RandomZoom';
  readonly heightFactor: number | [number, number];
  readonly widthFactor: number | [number, number] | null;
  private readonly heightRange: [number, number];
  private readonly widthRange: [number, number] | null;

  constructor(args: RandomZoomArgs) {
    const heightRange = factorRange(args?.heightFactor, 'height_factor');
    const widthRange = args.widthFactor == null ? null : factorRange(args.widthFactor, 'width_factor');
    super(args);
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor ?? null;
    this.heightRange = heightRange;
    this.widthRange = widthRange;
  }

  private draw(batch: number, [lo, hi]: [number, number]): tf.Tensor1D {
    if (lo === hi) return tf.fill([batch], 1 + lo);
    return tf.randomUniform([batch], 1 + lo, 1 + hi, 'float32', this.seedGenerator.next());
  }

  protected drawTransforms(batch: number, h: number, w: number): tf.Tensor2D {
    const hZoom = this.draw(batch, this.heightRange);
    const wZoom = this.widthRange ? this.draw(batch, this.widthRange) : hZoom;
    const xOffset = tf.mul((w - 1) / 2, tf.sub(1, wZoom));
    const yOffset = tf.mul((h - 1) / 2, tf.sub(1, hZoom));
    const zeros = tf.zeros([batch]);
    return tf.stack([wZoom, zeros, xOffset, zeros, hZoom, yOffset, zeros, zeros], 1) as tf.Tensor2D;
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
