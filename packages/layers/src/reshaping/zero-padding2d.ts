import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type DataFormat, standardizeDataFormat } from '../convolutional/argument-validation.js';
import { pairs2D } from './pair-args.js';

/** Constructor arguments of `ZeroPadding2D`: Keras's arguments of the same names, in camelCase. */
export interface ZeroPadding2DArgs extends LayerArgs {
  /** An integer, `[h, w]`, or `[[top, bottom], [left, right]]`. Default 1 on every side. */
  padding?: number | [number, number] | [[number, number], [number, number]];
  /** Default 'channels_last' (`[batch, rows, cols, channels]`). */
  dataFormat?: DataFormat | null;
}

/**
 * Adds rows and columns of zeros around an image.
 *
 * Keras: `keras.layers.ZeroPadding2D`
 *
 * @example
 * ```ts
 * const layer = new ZeroPadding2D({ padding: 1 });
 * layer.apply(tf.ones([1, 2, 2, 1])); // shape [1, 4, 4, 1]
 * ```
 */
export class ZeroPadding2D extends Layer {
  static override className = 'ZeroPadding2D';
  readonly padding: [[number, number], [number, number]];
  readonly dataFormat: DataFormat;

  constructor(args: ZeroPadding2DArgs = {}) {
    super(args);
    this.padding = pairs2D(args.padding ?? 1, 'padding');
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    this.inputSpec = { ndim: 4 };
  }

  private get spatialAxes(): [number, number] {
    return this.dataFormat === 'channels_last' ? [1, 2] : [2, 3];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const pads: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    const [h, w] = this.spatialAxes;
    pads[h] = this.padding[0];
    pads[w] = this.padding[1];
    return tf.pad(x, pads);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = inputShape.slice();
    this.spatialAxes.forEach((axis, i) => {
      const d = out[axis];
      if (d != null) out[axis] = d + this.padding[i][0] + this.padding[i][1];
    });
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding, dataFormat: this.dataFormat };
  }
}

register('layer', 'ZeroPadding2D', ZeroPadding2D);
