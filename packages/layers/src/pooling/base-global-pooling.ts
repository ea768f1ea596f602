import { type CallKwargs, Layer, type LayerArgs, type Shape } from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

import { type DataFormat, standardizeDataFormat } from '../convolutional/argument-validation.js';
import { joinChannels, splitChannels } from '../convolutional/conv-geometry.js';

/**
 * Constructor arguments shared by the classes built on `BaseGlobalPooling`: Keras's arguments of the same
 * names, in camelCase.
 */
export interface BaseGlobalPoolingArgs extends LayerArgs {
  /** `'channels_last'` (default) or `'channels_first'`. */
  dataFormat?: string | null;
  /** Keep the pooled spatial dimensions with size 1. Default false. */
  keepdims?: boolean;
}

/**
 * Pooling over all spatial dimensions at once (Keras's `BaseGlobalPooling`).
 *
 * Keras: `keras.src.layers.pooling.base_global_pooling.BaseGlobalPooling`
 *
 * @example
 * ```ts
 * // The base of the GlobalAveragePooling and GlobalMaxPooling layers.
 * const pool: BaseGlobalPooling = new GlobalAveragePooling1D();
 * pool.apply(tf.ones([2, 5, 3])); // shape [2, 3]
 * ```
 */
export abstract class BaseGlobalPooling extends Layer {
  static override className = 'BaseGlobalPooling';

  readonly poolDimensions: number;
  readonly dataFormat: DataFormat;
  readonly keepdims: boolean;

  constructor(poolDimensions: number, args: BaseGlobalPoolingArgs) {
    super(args);
    this.poolDimensions = poolDimensions;
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    this.keepdims = args.keepdims ?? false;
    this.inputSpec = { ndim: poolDimensions + 2 };
  }

  /** The spatial axes of the input, for the data format. */
  protected get spatialAxes(): number[] {
    const first = this.dataFormat === 'channels_last' ? 1 : 2;
    return Array.from({ length: this.poolDimensions }, (_, i) => first + i);
  }

  abstract override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor;

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const { batch, spatial, channels } = splitChannels(inputShape as Shape, this.dataFormat);
    if (!this.keepdims) return [batch, channels];
    return joinChannels(
      batch,
      spatial.map(() => 1),
      channels,
      this.dataFormat,
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }
}
