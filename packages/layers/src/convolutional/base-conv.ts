import {
  type ConstraintIdentifier,
  formatShape,
  type InitializerIdentifier,
  Layer,
  type LayerArgs,
  type RegularizerIdentifier,
  type Shape,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type ActivationFn,
  type ActivationIdentifier,
  getActivation,
  serializeActivation,
} from '../activations/index.js';
import type { Constraint } from '../constraints/index.js';
import { resolveWeightArgs, serializeWeightArgs, weightSettings } from '../core/weight-args.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import { assertPositiveInteger, type DataFormat, type PaddingMode } from './argument-validation.js';
import {
  type ConvGeometryArgs,
  computeConvOutputShape,
  convInputChannels,
  resolveConvGeometry,
  serializeConvGeometry,
} from './conv-geometry.js';
import { asConv2d, groupedConv2d } from './conv-ops.js';

/**
 * Constructor arguments shared by the classes built on `BaseConv`: Keras's arguments of the same names, in
 * camelCase.
 */
export interface BaseConvArgs extends LayerArgs, ConvGeometryArgs {
  /** The number of output channels. */
  filters: number;
  /** Input channels and filters are split into this many groups convolved separately. Default 1. */
  groups?: number;
  /** Default none (`'linear'`). */
  activation?: ActivationIdentifier;
  /** Default true. */
  useBias?: boolean;
  /** Default `'glorot_uniform'`. */
  kernelInitializer?: InitializerIdentifier | null;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerIdentifier | null;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

/**
 * The N-D convolution behind Conv1D and Conv2D (Keras's `BaseConv`): cross-correlates a kernel
 * `(*kernelSize, inputChannels / groups, filters)` with the input, adds a bias and applies the activation.
 * Computation runs channels-last on tfjs's fused conv2d; 1-D inputs get a unit height.
 *
 * Keras: `keras.src.layers.convolutional.base_conv.BaseConv`
 *
 * @example
 * ```ts
 * // The base of Conv1D and Conv2D.
 * const conv: BaseConv = new Conv1D({ filters: 4, kernelSize: 3 });
 * conv.apply(tf.ones([1, 10, 2])); // shape [1, 8, 4]
 * ```
 */
export abstract class BaseConv extends Layer {
  static override className = 'BaseConv';

  declare readonly rank: number;
  readonly filters: number;
  declare readonly kernelSize: number[];
  declare readonly strides: number[];
  declare readonly padding: PaddingMode;
  declare readonly dataFormat: DataFormat;
  declare readonly dilationRate: number[];
  readonly groups: number;
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

  constructor(rank: number, args: BaseConvArgs) {
    super(args);
    this.filters = assertPositiveInteger(args.filters, 'filters');
    this.groups = args.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups <= 0) {
      throw new ValueError(
        `The number of groups must be a positive integer. Received: groups=${this.groups}.`,
      );
    }
    if (this.filters % this.groups !== 0) {
      throw new ValueError(
        'The number of filters must be evenly divisible by the number of groups. ' +
          `Received: groups=${this.groups}, filters=${this.filters}.`,
      );
    }
    Object.assign(this, resolveConvGeometry(rank, args, rank === 1));
    this.activation = getActivation(args.activation);
    this.useBias = args.useBias ?? true;
    Object.assign(this, resolveWeightArgs(args, { kernel: 'glorot_uniform', bias: 'zeros' }));
    this.inputSpec = { ndim: rank + 2 };
  }

  override build(inputShape: Shape): void {
    const channels = convInputChannels(this, inputShape);
    if (channels % this.groups !== 0) {
      throw new ValueError(
        `The number of input channels must be evenly divisible by the number of groups. Received ` +
          `groups=${this.groups}, but the input has ${channels} channels (full input shape is ${formatShape(inputShape)}).`,
      );
    }
    // Validates that every output dimension is positive before any weight is made.
    this.computeOutputShape(inputShape);
    this.kernel = this.addWeight('kernel', {
      shape: [...this.kernelSize, channels / this.groups, this.filters],
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
    return asConv2d(this, x, [this.kernel!.value], (input, [kernel], { strides, dilation, activation }) => {
      let h = input;
      let padding = this.padding;
      if (padding === 'causal') {
        // Left padding only, so output step t sees input steps <= t (WaveNet's causal convolution).
        const left = this.dilationRate[0] * (this.kernelSize[0] - 1);
        h = tf.pad(h, [
          [0, 0],
          [0, 0],
          [left, 0],
          [0, 0],
        ]);
        padding = 'valid';
      }
      return groupedConv2d(h, kernel, this.groups, {
        strides,
        padding,
        dilation,
        bias: this.bias?.value ?? null,
        activation,
      });
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return computeConvOutputShape(inputShape as Shape, this.filters, this);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      ...serializeConvGeometry(this),
      groups: this.groups,
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      ...serializeWeightArgs(this, ['kernel', 'bias']),
    };
  }
}
