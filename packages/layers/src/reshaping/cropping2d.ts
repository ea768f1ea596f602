import {
  type CallKwargs,
  formatShape,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type DataFormat, standardizeDataFormat } from '../convolutional/argument-validation.js';
import { pairs2D } from './pair-args.js';

/** Constructor arguments of `Cropping2D`: Keras's arguments of the same names, in camelCase. */
export interface Cropping2DArgs extends LayerArgs {
  /** An integer, `[h, w]`, or `[[top, bottom], [left, right]]`. Default no cropping. */
  cropping?: number | [number, number] | [[number, number], [number, number]];
  /** Default 'channels_last'. */
  dataFormat?: DataFormat | null;
}

/**
 * Crops rows and columns from the edges of an image.
 *
 * Keras: `keras.layers.Cropping2D`
 *
 * @example
 * ```ts
 * const layer = new Cropping2D({ cropping: [[1, 1], [1, 1]] });
 * layer.apply(tf.ones([1, 4, 4, 3])); // shape [1, 2, 2, 3]
 * ```
 */
export class Cropping2D extends Layer {
  static override className = 'Cropping2D';
  readonly cropping: [[number, number], [number, number]];
  readonly dataFormat: DataFormat;

  constructor(args: Cropping2DArgs = {}) {
    super(args);
    this.cropping = pairs2D(
      args.cropping ?? [
        [0, 0],
        [0, 0],
      ],
      'cropping',
    );
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    this.inputSpec = { ndim: 4 };
  }

  private get spatialAxes(): [number, number] {
    return this.dataFormat === 'channels_last' ? [1, 2] : [2, 3];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const out = this.computeOutputShape(x.shape) as number[];
    const begin = [0, 0, 0, 0];
    const size = [-1, -1, -1, -1];
    this.spatialAxes.forEach((axis, i) => {
      begin[axis] = this.cropping[i][0];
      size[axis] = out[axis];
    });
    return tf.slice(x, begin, size);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = inputShape.slice();
    this.spatialAxes.forEach((axis, i) => {
      const d = out[axis];
      if (d == null) return;
      const left = d - this.cropping[i][0] - this.cropping[i][1];
      if (left <= 0) {
        throw new ValueError(
          `Layer "${this.name}": values in \`cropping\` argument should be smaller than the corresponding spatial dimension ` +
            `of the input. Received: input_shape=${formatShape(inputShape)}, cropping=${JSON.stringify(this.cropping)}`,
        );
      }
      out[axis] = left;
    });
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: this.cropping, dataFormat: this.dataFormat };
  }
}

register('layer', 'Cropping2D', Cropping2D);
