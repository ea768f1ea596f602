import { type LayerArgs, register } from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

import { type DataFormat, standardizeDataFormat } from '../convolutional/argument-validation.js';
import { Dropout } from './dropout.js';

/** Constructor arguments of `SpatialDropout1D`: Keras's arguments of the same names, in camelCase. */
export interface SpatialDropout1DArgs extends LayerArgs {
  /** Fraction of the feature maps to drop, in [0, 1). */
  rate: number;
  seed?: number | null;
}

/**
 * Drops whole 1D feature maps (channels) instead of single elements: input `[batch, steps, channels]`,
 * one mask value per (sample, channel). Helps where neighbouring steps are strongly correlated.
 *
 * Keras: `keras.layers.SpatialDropout1D`
 *
 * @example
 * ```ts
 * const layer = new SpatialDropout1D({ rate: 0.2 });
 * layer.apply(tf.ones([2, 5, 3]), { training: true }); // shape [2, 5, 3]
 * ```
 */
export class SpatialDropout1D extends Dropout {
  static override className = 'SpatialDropout1D';

  constructor(args: SpatialDropout1DArgs) {
    super({ ...args, noiseShape: null });
    this.inputSpec = { ndim: 3 };
  }

  protected override resolveNoiseShape(x: tf.Tensor): number[] {
    const s = x.shape as number[];
    return [s[0], 1, s[2]];
  }

  override getConfig(): Record<string, unknown> {
    const { noiseShape: _n, ...config } = super.getConfig();
    // Keras 3 writes SpatialDropout's dtype as the plain variable dtype name, not a DTypePolicy object.
    return { ...config, dtype: this.dtype };
  }
}

/** Constructor arguments of `SpatialDropout2D`: Keras's arguments of the same names, in camelCase. */
export interface SpatialDropout2DArgs extends SpatialDropout1DArgs {
  /** Default 'channels_last'. */
  dataFormat?: DataFormat | null;
}

/**
 * Drops whole 2D feature maps: one mask value per (sample, channel) of a 4D image batch.
 *
 * Keras: `keras.layers.SpatialDropout2D`
 *
 * @example
 * ```ts
 * const layer = new SpatialDropout2D({ rate: 0.2 });
 * layer.apply(tf.ones([1, 4, 4, 3]), { training: true }); // shape [1, 4, 4, 3]
 * ```
 */
export class SpatialDropout2D extends Dropout {
  static override className = 'SpatialDropout2D';
  readonly dataFormat: DataFormat;

  constructor(args: SpatialDropout2DArgs) {
    super({ ...args, noiseShape: null });
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    this.inputSpec = { ndim: 4 };
  }

  protected override resolveNoiseShape(x: tf.Tensor): number[] {
    const s = x.shape as number[];
    return this.dataFormat === 'channels_last' ? [s[0], 1, 1, s[3]] : [s[0], s[1], 1, 1];
  }

  override getConfig(): Record<string, unknown> {
    const { noiseShape: _n, ...config } = super.getConfig();
    return { ...config, dtype: this.dtype, dataFormat: this.dataFormat };
  }
}

register('layer', 'SpatialDropout1D', SpatialDropout1D);
register('layer', 'SpatialDropout2D', SpatialDropout2D);
