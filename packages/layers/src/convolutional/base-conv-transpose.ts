import { formatShape, Layer, type Shape, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type ActivationFn, getActivation, serializeActivation } from '../activations/index.js';
import type { Constraint } from '../constraints/index.js';
import { resolveWeightArgs, serializeWeightArgs, weightSettings } from '../core/weight-args.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import { assertPositiveInteger, type DataFormat, standardizeTuple } from './argument-validation.js';
import type { BaseConvArgs } from './base-conv.js';
import {
  computeConvTransposeOutputShape,
  convInputChannels,
  resolveConvGeometry,
  serializeConvGeometry,
} from './conv-geometry.js';
import { castToFloat, conv2dTranspose, fromChannelsLast, toChannelsLast } from './conv-ops.js';

/**
 * Constructor arguments shared by the classes built on `BaseConvTranspose`: Keras's arguments of the same
 * names, in camelCase.
 */
export interface BaseConvTransposeArgs extends Omit<BaseConvArgs, 'groups'> {
  /**
   * Extra rows/columns added to one side of the output, each below its stride. Default none: the
   * output size follows from the input size, kernel, strides and padding alone.
   */
  outputPadding?: number | readonly number[] | null;
}

/**
 * The transposed convolution behind Conv2DTranspose (Keras's `BaseConvTranspose`): the gradient of a
 * convolution with respect to its input, used to upsample. The kernel has shape
 * `(*kernelSize, filters, inputChannels)`.
 *
 * Keras: `keras.src.layers.convolutional.base_conv_transpose.BaseConvTranspose`
 *
 * @example
 * ```ts
 * // The base of Conv2DTranspose.
 * const conv: BaseConvTranspose = new Conv2DTranspose({ filters: 4, kernelSize: 3, strides: 2 });
 * conv.apply(tf.ones([1, 5, 5, 2])); // shape [1, 11, 11, 4]
 * ```
 */
export abstract class BaseConvTranspose extends Layer {
  static override className = 'BaseConvTranspose';

  declare readonly rank: number;
  readonly filters: number;
  declare readonly kernelSize: number[];
  declare readonly strides: number[];
  declare readonly padding: 'valid' | 'same';
  readonly outputPadding: number[] | null;
  declare readonly dataFormat: DataFormat;
  declare readonly dilationRate: number[];
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  declare readonly kernelInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;

  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(rank: number, args: BaseConvTransposeArgs) {
    super(args);
    this.filters = assertPositiveInteger(args.filters, 'filters');
    Object.assign(this, resolveConvGeometry(rank, args));
    this.outputPadding =
      args.outputPadding == null ? null : standardizeTuple(args.outputPadding, rank, 'output_padding', true);
    if (this.outputPadding?.some((p, i) => p >= this.strides[i])) {
      throw new ValueError(
        '`output_padding` must be < `strides`. ' +
          `Received: output_padding=${formatShape(this.outputPadding)}, strides=${formatShape(this.strides)}`,
      );
    }
    this.activation = getActivation(args.activation);
    this.useBias = args.useBias ?? true;
    Object.assign(this, resolveWeightArgs(args, { kernel: 'glorot_uniform', bias: 'zeros' }));
    this.inputSpec = { ndim: rank + 2 };
  }

  override build(inputShape: Shape): void {
    const channels = convInputChannels(this, inputShape);
    this.kernel = this.addWeight('kernel', {
      shape: [...this.kernelSize, this.filters, channels],
      ...weightSettings(this, 'kernel'),
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', {
        shape: [this.filters],
        ...weightSettings(this, 'bias'),
      });
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const outputs = tf.tidy(() => {
      const outShape = this.computeOutputShape(x.shape) as number[];
      let h = toChannelsLast(castToFloat(x), this.dataFormat);
      // Channels-last output size, with a unit height for 1-D.
      let target = this.channelsLastShape(outShape);
      const lift = (v: number[]): [number, number] => (this.rank === 1 ? [1, v[0]] : [v[0], v[1]]);
      let kernel = this.kernel!.value as tf.Tensor;
      if (this.rank === 1) {
        h = tf.expandDims(h, 1);
        kernel = tf.expandDims(kernel, 0);
        target = [target[0], 1, ...target.slice(1)];
      }
      let y: tf.Tensor = conv2dTranspose(
        h as tf.Tensor4D,
        kernel as tf.Tensor4D,
        target as [number, number, number, number],
        lift(this.strides),
        this.padding,
        lift(this.dilationRate),
      );
      if (this.bias) y = tf.add(y, this.bias.value);
      if (this.rank === 1) y = tf.squeeze(y, [1]);
      return this.activation(fromChannelsLast(y, this.dataFormat));
    });
    return outputs;
  }

  private channelsLastShape(shape: number[]): number[] {
    return this.dataFormat === 'channels_last' ? shape : [shape[0], ...shape.slice(2), shape[1]];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return computeConvTransposeOutputShape(inputShape as Shape, this.filters, this, this.outputPadding);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      ...serializeConvGeometry(this, {
        outputPadding: this.outputPadding ? this.outputPadding.slice() : null,
      }),
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      ...serializeWeightArgs(this, ['kernel', 'bias']),
    };
  }
}
