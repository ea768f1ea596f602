import {
  type ConstraintIdentifier,
  type InitializerIdentifier,
  Layer,
  type LayerArgs,
  type RegularizerIdentifier,
  type Shape,
  type Variable,
} from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';
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
import { assertPositiveInteger, type DataFormat } from './argument-validation.js';
import {
  type ConvGeometryArgs,
  computeConvOutputShape,
  convInputChannels,
  resolveConvGeometry,
  serializeConvGeometry,
} from './conv-geometry.js';
import { asConv2d, conv2d, depthwiseConv2d } from './conv-ops.js';

/**
 * Constructor arguments shared by the classes built on `BaseSeparableConv`: Keras's arguments of the same
 * names, in camelCase.
 */
export interface BaseSeparableConvArgs extends LayerArgs, ConvGeometryArgs {
  /** Output channels per input channel of the depthwise step. Default 1. */
  depthMultiplier?: number;
  /** Output channels of the pointwise step. */
  filters: number;
  activation?: ActivationIdentifier;
  useBias?: boolean;
  depthwiseInitializer?: InitializerIdentifier | null;
  pointwiseInitializer?: InitializerIdentifier | null;
  biasInitializer?: InitializerIdentifier | null;
  depthwiseRegularizer?: RegularizerIdentifier | null;
  pointwiseRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  depthwiseConstraint?: ConstraintIdentifier | null;
  pointwiseConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

/**
 * The separable convolution behind SeparableConv2D (Keras's `BaseSeparableConv`): a depthwise
 * convolution per channel, then a 1x1 convolution mixing channels. Weights, in Keras's order:
 * `depthwise_kernel` `(*kernelSize, in, depthMultiplier)`, `pointwise_kernel`
 * `(1, ..., in * depthMultiplier, filters)`, `bias` `(filters)`.
 *
 * Keras: `keras.src.layers.convolutional.base_separable_conv.BaseSeparableConv`
 *
 * @example
 * ```ts
 * // The base of SeparableConv2D.
 * const conv: BaseSeparableConv = new SeparableConv2D({ filters: 4, kernelSize: 3 });
 * conv.apply(tf.ones([1, 8, 8, 3])); // shape [1, 6, 6, 4]
 * ```
 */
export abstract class BaseSeparableConv extends Layer {
  static override className = 'BaseSeparableConv';

  declare readonly rank: number;
  readonly depthMultiplier: number;
  readonly filters: number;
  declare readonly kernelSize: number[];
  declare readonly strides: number[];
  declare readonly padding: 'valid' | 'same';
  declare readonly dataFormat: DataFormat;
  declare readonly dilationRate: number[];
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  declare readonly depthwiseInitializer: Initializer;
  declare readonly pointwiseInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly depthwiseRegularizer: Regularizer | null;
  declare readonly pointwiseRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly depthwiseConstraint: Constraint | null;
  declare readonly pointwiseConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;

  depthwiseKernel: Variable | null = null;
  pointwiseKernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(rank: number, args: BaseSeparableConvArgs) {
    super(args);
    this.depthMultiplier = assertPositiveInteger(args.depthMultiplier ?? 1, 'depth_multiplier');
    this.filters = assertPositiveInteger(args.filters, 'filters');
    Object.assign(this, resolveConvGeometry(rank, args));
    this.activation = getActivation(args.activation);
    this.useBias = args.useBias ?? true;
    Object.assign(
      this,
      resolveWeightArgs(args, { depthwise: 'glorot_uniform', pointwise: 'glorot_uniform', bias: 'zeros' }),
    );
    this.inputSpec = { ndim: rank + 2 };
  }

  override build(inputShape: Shape): void {
    const channels = convInputChannels(this, inputShape);
    this.computeOutputShape(inputShape);
    this.depthwiseKernel = this.addWeight('depthwise_kernel', {
      shape: [...this.kernelSize, channels, this.depthMultiplier],
      ...weightSettings(this, 'depthwise'),
    });
    this.pointwiseKernel = this.addWeight('pointwise_kernel', {
      shape: [...new Array<number>(this.rank).fill(1), channels * this.depthMultiplier, this.filters],
      ...weightSettings(this, 'pointwise'),
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
    const kernels = [this.depthwiseKernel!.value, this.pointwiseKernel!.value];
    return asConv2d(this, x, kernels, (h, [depthwise, pointwise], { strides, dilation, activation }) => {
      const mid = depthwiseConv2d(h, depthwise, { strides, padding: this.padding, dilation });
      // The pointwise step carries the bias and activation, so it runs on the fused kernel.
      return conv2d(mid, pointwise, {
        strides: [1, 1],
        padding: 'valid',
        dilation: [1, 1],
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
      depthMultiplier: this.depthMultiplier,
      filters: this.filters,
      ...serializeConvGeometry(this),
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      ...serializeWeightArgs(this, ['depthwise', 'pointwise', 'bias']),
    };
  }
}
