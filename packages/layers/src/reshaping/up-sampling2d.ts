import { type CallKwargs, Layer, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type DataFormat, standardizeDataFormat } from '../convolutional/argument-validation.js';
import { resampleLinear } from '../preprocessing/image-ops.js';
import { positiveTuple } from './pair-args.js';

/** How `UpSampling2D` interpolates: `'nearest'` or `'bilinear'`. */
export type UpSamplingInterpolation = 'nearest' | 'bilinear';

/** Constructor arguments of `UpSampling2D`: Keras's arguments of the same names, in camelCase. */
export interface UpSampling2DArgs extends LayerArgs {
  /** Row and column factors: an integer or `[rows, cols]`. Default [2, 2]. */
  size?: number | [number, number];
  /** Default 'channels_last'. */
  dataFormat?: DataFormat | null;
  /** 'nearest' (default) repeats pixels; 'bilinear' interpolates with half-pixel centers, as Keras 3's resize. */
  interpolation?: UpSamplingInterpolation;
}

/**
 * Enlarges an image by repeating (or interpolating) rows and columns.
 *
 * Keras: `keras.layers.UpSampling2D`
 *
 * @example
 * ```ts
 * const layer = new UpSampling2D({ size: [2, 2] });
 * layer.apply(tf.ones([1, 2, 2, 1])); // shape [1, 4, 4, 1]
 * ```
 */
export class UpSampling2D extends Layer {
  static override className = 'UpSampling2D';
  readonly size: [number, number];
  readonly dataFormat: DataFormat;
  readonly interpolation: UpSamplingInterpolation;

  constructor(args: UpSampling2DArgs = {}) {
    super(args);
    this.size = positiveTuple(args.size ?? [2, 2], 2, 'size') as [number, number];
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    const interpolation = args.interpolation ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new ValueError(
        `\`interpolation\` argument should be one of: "nearest", "bilinear". Received: interpolation=${interpolation}`,
      );
    }
    this.interpolation = interpolation;
    this.inputSpec = { ndim: 4 };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      let y = (this.dataFormat === 'channels_first' ? tf.transpose(x, [0, 2, 3, 1]) : x) as tf.Tensor4D;
      const [b, h, w, c] = y.shape;
      const [sh, sw] = this.size;
      if (this.interpolation === 'nearest') {
        // Nearest-neighbour upsampling by integer factors repeats each pixel, written as a tile: its
        // gradient sums each block exactly (tfjs's ResizeNearestNeighborGrad gave wrong sums on some rows).
        // One axis at a time: tfjs differentiates tile up to rank 4 only.
        const wide = tf.reshape(tf.tile(tf.reshape(y, [b * h, w, 1, c]), [1, 1, sw, 1]), [
          b,
          h,
          1,
          w * sw * c,
        ]);
        y = tf.reshape(tf.tile(wide, [1, 1, sh, 1]), [b, h * sh, w * sw, c]) as tf.Tensor4D;
      } else {
        y = resampleLinear(resampleLinear(y, 1, h * sh), 2, w * sw) as tf.Tensor4D;
      }
      return this.dataFormat === 'channels_first' ? tf.transpose(y, [0, 3, 1, 2]) : y;
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = inputShape.slice();
    const axes = this.dataFormat === 'channels_last' ? [1, 2] : [2, 3];
    axes.forEach((axis, i) => {
      const d = out[axis];
      out[axis] = d == null ? null : d * this.size[i];
    });
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      size: this.size,
      dataFormat: this.dataFormat,
      interpolation: this.interpolation,
    };
  }
}

register('layer', 'UpSampling2D', UpSampling2D);
