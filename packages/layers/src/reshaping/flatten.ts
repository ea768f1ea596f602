import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type DataFormat, standardizeDataFormat } from '../convolutional/argument-validation.js';

/** Constructor arguments of `Flatten`: Keras's arguments of the same names, in camelCase. */
export interface FlattenArgs extends LayerArgs {
  /** 'channels_last' (default) or 'channels_first'; with channels_first the channels axis is moved last first, so weights trained either way line up. */
  dataFormat?: DataFormat | null;
}

/**
 * Flattens every axis but the batch axis: `[batch, d1, d2, ...]` becomes `[batch, d1 * d2 * ...]`.
 *
 * Keras: `keras.layers.Flatten`
 *
 * @example
 * ```ts
 * const layer = new Flatten();
 * layer.apply(tf.ones([2, 3, 4])); // shape [2, 12]
 * ```
 */
export class Flatten extends Layer {
  static override className = 'Flatten';
  readonly dataFormat: DataFormat;

  constructor(args: FlattenArgs = {}) {
    super(args);
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    this.inputSpec = { minNdim: 1 };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      let y = x;
      if (this.dataFormat === 'channels_first' && x.rank > 2) {
        y = tf.transpose(x, [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1]);
      }
      return tf.reshape(y, [x.shape[0], -1]);
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const rest = inputShape.slice(1);
    const size = rest.some((d) => d == null) ? null : (rest as number[]).reduce((a, b) => a * b, 1);
    return [inputShape[0], size];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: this.dataFormat };
  }
}

register('layer', 'Flatten', Flatten);
