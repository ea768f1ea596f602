import {
  type CallKwargs,
  Layer,
  type LayerArgs,
  NotImplementedError,
  register,
  type Shape,
} from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

import {
  checkDataFormat,
  checkInterpolation,
  cropToAspect,
  type Interpolation,
  onBatch,
  positiveDim,
  resize,
} from './image-ops.js';

/** Constructor arguments of `Resizing`: Keras's arguments of the same names, in camelCase. */
export interface ResizingArgs extends LayerArgs {
  /** Output height. */
  height: number;
  /** Output width. */
  width: number;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  /** Crop the largest centred window with the target aspect ratio before resizing. Default false. */
  cropToAspectRatio?: boolean;
  /** Not supported yet; must be false. */
  padToAspectRatio?: boolean;
  fillMode?: 'constant';
  fillValue?: number;
  /** Not supported; must be false. */
  antialias?: boolean;
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last' | null;
}

/**
 * Resizes images to `[height, width]`. Input `[B, H, W, C]` (or one image `[H, W, C]`); output
 * `[B, height, width, C]`. Resizing uses half-pixel centres, as Keras (tf.image.resize) does.
 *
 * Keras: `keras.layers.Resizing`
 *
 * @example
 * ```ts
 * const layer = new Resizing({ height: 8, width: 8 });
 * layer.apply(tf.ones([1, 4, 4, 3])); // shape [1, 8, 8, 3]
 * ```
 */
export class Resizing extends Layer {
  static override className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: Interpolation;
  readonly cropToAspectRatio: boolean;
  readonly padToAspectRatio: boolean;
  readonly fillMode: 'constant';
  readonly fillValue: number;
  readonly antialias: boolean;
  readonly dataFormat: 'channels_last';

  constructor(args: ResizingArgs) {
    const height = positiveDim(args?.height, 'height');
    const width = positiveDim(args?.width, 'width');
    super(args);
    this.height = height;
    this.width = width;
    this.interpolation = checkInterpolation(args.interpolation ?? 'bilinear');
    this.cropToAspectRatio = args.cropToAspectRatio ?? false;
    this.padToAspectRatio = args.padToAspectRatio ?? false;
    this.fillMode = args.fillMode ?? 'constant';
    this.fillValue = args.fillValue ?? 0;
    this.antialias = args.antialias ?? false;
    this.dataFormat = checkDataFormat(args.dataFormat);
    if (this.padToAspectRatio || this.antialias) {
      throw new NotImplementedError(
        `Resizing supports neither pad_to_aspect_ratio nor antialias yet. Received: pad_to_aspect_ratio=${this.padToAspectRatio}, antialias=${this.antialias}`,
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return onBatch(x, this.name, (images) =>
      resize(
        this.cropToAspectRatio ? cropToAspect(images, this.height, this.width) : images,
        this.height,
        this.width,
        this.interpolation,
      ),
    );
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = inputShape.slice();
    out[out.length - 3] = this.height;
    out[out.length - 2] = this.width;
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      height: this.height,
      width: this.width,
      interpolation: this.interpolation,
      dataFormat: this.dataFormat,
      cropToAspectRatio: this.cropToAspectRatio,
      padToAspectRatio: this.padToAspectRatio,
      fillMode: this.fillMode,
      fillValue: this.fillValue,
      antialias: this.antialias,
    };
  }
}

register('layer', 'Resizing', Resizing);
