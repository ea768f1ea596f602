import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { checkDataFormat, onBatch, positiveDim, smartResize } from './image-ops.js';

/** Constructor arguments of `CenterCrop`: Keras's arguments of the same names, in camelCase. */
export interface CenterCropArgs extends LayerArgs {
  height: number;
  width: number;
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last' | null;
}

/**
 * Crops the central `[height, width]` window of each image. An image smaller than that along an axis is
 * instead cropped to the target aspect ratio and resized (Keras's `smart_resize`).
 *
 * Keras: `keras.layers.CenterCrop`
 *
 * @example
 * ```ts
 * const layer = new CenterCrop({ height: 2, width: 2 });
 * layer.apply(tf.ones([1, 4, 4, 3])); // shape [1, 2, 2, 3]
 * ```
 */
export class CenterCrop extends Layer {
  static override className = 'CenterCrop';
  readonly height: number;
  readonly width: number;
  readonly dataFormat: 'channels_last';

  constructor(args: CenterCropArgs) {
    const height = positiveDim(args?.height, 'height');
    const width = positiveDim(args?.width, 'width');
    super(args);
    this.height = height;
    this.width = width;
    this.dataFormat = checkDataFormat(args.dataFormat);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return onBatch(x, this.name, (images) => {
      const [, h, w] = images.shape;
      const dh = h - this.height;
      const dw = w - this.width;
      if (dh >= 0 && dw >= 0) {
        return tf.slice(
          images,
          [0, Math.trunc(dh / 2), Math.trunc(dw / 2), 0],
          [-1, this.height, this.width, -1],
        );
      }
      return smartResize(images, this.height, this.width, 'bilinear');
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = inputShape.slice();
    out[out.length - 3] = this.height;
    out[out.length - 2] = this.width;
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), height: this.height, width: this.width, dataFormat: this.dataFormat };
  }
}

register('layer', 'CenterCrop', CenterCrop);
