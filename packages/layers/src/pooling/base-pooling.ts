import { type CallKwargs, formatShape, Layer, type LayerArgs, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import {
  type DataFormat,
  standardizeDataFormat,
  standardizePadding,
  standardizeTuple,
} from '../convolutional/argument-validation.js';
import { joinChannels, splitChannels } from '../convolutional/conv-geometry.js';
import { castToFloat, fromChannelsLast, toChannelsLast } from '../convolutional/conv-ops.js';

/**
 * Constructor arguments shared by the classes built on `BasePooling`: Keras's arguments of the same names, in
 * camelCase.
 */
export interface BasePoolingArgs extends LayerArgs {
  /** The window size: one integer for every spatial dimension, or one per dimension. */
  poolSize?: number | readonly number[];
  /** Default: the pool size (windows do not overlap). */
  strides?: number | readonly number[] | null;
  /** `'valid'` (default) or `'same'`, case-insensitive. */
  padding?: string;
  /** `'channels_last'` (default) or `'channels_first'`. */
  dataFormat?: string | null;
}

/**
 * Windowed max or average pooling over 1 or 2 spatial dimensions (Keras's `BasePooling`). Runs
 * channels-last on tfjs's maxPool/avgPool; 1-D inputs get a unit height. Like TensorFlow, average pooling
 * with `'same'` padding divides by the number of real (unpadded) values in each window.
 *
 * Keras: `keras.src.layers.pooling.base_pooling.BasePooling`
 *
 * @example
 * ```ts
 * // The base of the MaxPooling and AveragePooling layers.
 * const pool: BasePooling = new MaxPooling2D({ poolSize: 2 });
 * pool.apply(tf.ones([1, 4, 4, 1])); // shape [1, 2, 2, 1]
 * ```
 */
export abstract class BasePooling extends Layer {
  static override className = 'BasePooling';

  readonly poolDimensions: number;
  readonly poolMode: 'max' | 'average';
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: DataFormat;

  constructor(poolDimensions: number, poolMode: 'max' | 'average', args: BasePoolingArgs) {
    super(args);
    this.poolDimensions = poolDimensions;
    this.poolMode = poolMode;
    this.poolSize = standardizeTuple(args.poolSize ?? 2, poolDimensions, 'pool_size');
    this.strides = standardizeTuple(args.strides ?? this.poolSize, poolDimensions, 'strides');
    this.padding = standardizePadding(args.padding ?? 'valid') as 'valid' | 'same';
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    this.inputSpec = { ndim: poolDimensions + 2 };
  }

  override build(inputShape: Shape | Shape[]): void {
    // Fails early, naming the shapes, when a window does not fit the input.
    this.computeOutputShape(inputShape);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      let h = toChannelsLast(castToFloat(x), this.dataFormat);
      if (this.poolDimensions === 1) h = tf.expandDims(h, 1);
      const lift = (v: number[]): [number, number] => (this.poolDimensions === 1 ? [1, v[0]] : [v[0], v[1]]);
      let y: tf.Tensor;
      if (this.poolMode === 'average' && this.padding === 'same') {
        y = averagePoolSame(h as tf.Tensor4D, lift(this.poolSize), lift(this.strides));
      } else {
        const pool = this.poolMode === 'max' ? tf.maxPool : tf.avgPool;
        y = pool(h as tf.Tensor4D, lift(this.poolSize), lift(this.strides), this.padding);
      }
      if (this.poolDimensions === 1) y = tf.squeeze(y, [1]);
      return fromChannelsLast(y, this.dataFormat);
    });
  }

  /**
   * Keras's `compute_pooling_output_shape`: `floor((n - pool) / stride) + 1` with `valid` padding,
   * `floor((n - 1) / stride) + 1` with `same`; unknown sizes stay unknown.
   */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = inputShape as Shape;
    const { batch, spatial, channels } = splitChannels(shape, this.dataFormat);
    const out = spatial.map((n, i) => {
      if (n == null) return null;
      return this.padding === 'valid'
        ? Math.floor((n - this.poolSize[i]) / this.strides[i]) + 1
        : Math.floor((n - 1) / this.strides[i]) + 1;
    });
    if (out.some((n) => n != null && n <= 0)) {
      throw new ValueError(
        `Computed output size would be negative. Received: inputs.shape=${formatShape(shape)} and ` +
          `pool_size=${formatShape(this.poolSize)}.`,
      );
    }
    return joinChannels(batch, out, channels, this.dataFormat);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      poolSize: this.poolSize.slice(),
      padding: this.padding,
      strides: this.strides.slice(),
      dataFormat: this.dataFormat,
    };
  }
}

/**
 * Average pooling with 'same' padding, written as the sum over explicitly zero-padded windows divided by
 * each window's count of real values. tfjs's AvgPool already divides by that count going forward, but its
 * gradient divides by the full window, so the gradient wrt the input was wrong at the borders (Keras's
 * divides by the count).
 */
function averagePoolSame(h: tf.Tensor4D, pool: [number, number], strides: [number, number]): tf.Tensor {
  const pads = [0, 1].map((i) => {
    const n = h.shape[i + 1];
    const total = Math.max((Math.ceil(n / strides[i]) - 1) * strides[i] + pool[i] - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
  });
  const padding: [number, number][] = [[0, 0], pads[0], pads[1], [0, 0]];
  const window = pool[0] * pool[1];
  const sums = tf.mul(tf.avgPool(tf.pad(h, padding), pool, strides, 'valid'), window);
  const ones = tf.ones([1, h.shape[1], h.shape[2], 1]) as tf.Tensor4D;
  const counts = tf.mul(tf.avgPool(tf.pad(ones, padding), pool, strides, 'valid'), window);
  return tf.div(sums, counts);
}
