import { type CallKwargs, Layer, type LayerArgs, register, type Shape } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type DataFormat, standardizeDataFormat } from '../convolutional/argument-validation.js';
import { symmetricPair } from './pair-args.js';

/** Constructor arguments of `ZeroPadding1D`: Keras's arguments of the same names, in camelCase. */
export interface ZeroPadding1DArgs extends LayerArgs {
  /** Zeros added at the start and end of the steps axis: an integer or `[start, end]`. Default 1. */
  padding?: number | [number, number];
  /** Default 'channels_last' (`[batch, steps, features]`). */
  dataFormat?: DataFormat | null;
}

/**
 * Pads the steps axis of a `[batch, steps, features]` input with zeros.
 *
 * Keras: `keras.layers.ZeroPadding1D`
 *
 * @example
 * ```ts
 * const layer = new ZeroPadding1D({ padding: 1 });
 * layer.apply(tf.ones([1, 3, 2])); // shape [1, 5, 2]
 * ```
 */
export class ZeroPadding1D extends Layer {
  static override className = 'ZeroPadding1D';
  readonly padding: [number, number];
  readonly dataFormat: DataFormat;

  constructor(args: ZeroPadding1DArgs = {}) {
    super(args);
    this.padding = symmetricPair(args.padding ?? 1, 'padding');
    this.dataFormat = standardizeDataFormat(args.dataFormat);
    this.inputSpec = { ndim: 3 };
  }

  private get stepsAxis(): number {
    return this.dataFormat === 'channels_last' ? 1 : 2;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const pads: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    pads[this.stepsAxis] = this.padding;
    return tf.pad(x, pads);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const out = inputShape.slice();
    const d = out[this.stepsAxis];
    if (d != null) out[this.stepsAxis] = d + this.padding[0] + this.padding[1];
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding, dataFormat: this.dataFormat };
  }
}

register('layer', 'ZeroPadding1D', ZeroPadding1D);
