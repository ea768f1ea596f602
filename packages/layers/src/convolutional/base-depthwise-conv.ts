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
  splitChannels,
} from './conv-geometry.js';
import { asConv2d, depthwiseConv2d } from './conv-ops.js';

/**
 * Constructor arguments shared by the classes built on `BaseDepthwiseConv`: Keras's arguments of the same
 * names, in camelCase.
 */
export interface BaseDepthwiseConvArgs extends LayerArgs, ConvGeometryArgs {
  /** Output channels per input channel. Default 1. */
  depthMultiplier?: number;
  activation?: ActivationIdentifier;
  useBias?: boolean;
  /** Default `'glorot_uniform'`. */
  depthwiseInitializer?: InitializerIdentifier | null;
  /** Default `'zeros'`. */
  biasInitializer?: InitializerIdentifier | null;
  depthwiseRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  depthwiseConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

/**
 * The depthwise convolution behind DepthwiseConv2D (Keras's `BaseDepthwiseConv`): every input channel is
 * convolved with its own `depthMultiplier` filters and nothing mixes channels. The kernel has shape
 * `(*kernelSize, inputChannels, depthMultiplier)` and, as in Keras 3, is named `kernel`.
 *
 * Keras: `keras.src.layers.convolutional.base_depthwise_conv.BaseDepthwiseConv`
 *
 * @example
 * ```ts
 * // The base of DepthwiseConv2D.
 * const conv: BaseDepthwiseConv = new DepthwiseConv2D({ kernelSize: 3 });
 * conv.apply(tf.ones([1, 8, 8, 3])); // shape [1, 6, 6, 3]
 * ```
 */
export abstract class BaseDepthwiseConv extends Layer {
  static override className = 'BaseDepthwiseConv';

  declare readonly rank: number;
  readonly depthMultiplier: number;
  declare readonly kernelSize: number[];
  declare readonly strides: number[];
  declare readonly padding: 'valid' | 'same';
  declare readonly dataFormat: DataFormat;
  declare readonly dilationRate: number[];
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  declare readonly depthwiseInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly depthwiseRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly depthwiseConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;

  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(rank: number, args: BaseDepthwiseConvArgs) {
    super(args);
    this.depthMultiplier = assertPositiveInteger(args.depthMultiplier ?? 1, 'depth_multiplier');
    Object.assign(this, resolveConvGeometry(rank, args));
    this.activation = getActivation(args.activation);
    this.useBias = args.useBias ?? true;
    Object.assign(this, resolveWeightArgs(args, { depthwise: 'glorot_uniform', bias: 'zeros' }));
    this.inputSpec = { ndim: rank + 2 };
  }

  override build(inputShape: Shape): void {
    const channels = convInputChannels(this, inputShape);
    this.computeOutputShape(inputShape);
    this.kernel = this.addWeight('kernel', {
      shape: [...this.kernelSize, channels, this.depthMultiplier],
      ...weightSettings(this, 'depthwise'),
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', {
        shape: [channels * this.depthMultiplier],
        ...weightSettings(this, 'bias'),
      });
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return asConv2d(this, x, [this.kernel!.value], (h, [kernel], pairs) =>
      depthwiseConv2d(h, kernel, { ...pairs, padding: this.padding, bias: this.bias?.value ?? null }),
    );
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = inputShape as Shape;
    const { channels } = splitChannels(shape, this.dataFormat);
    return computeConvOutputShape(shape, channels == null ? null : channels * this.depthMultiplier, this);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      depthMultiplier: this.depthMultiplier,
      ...serializeConvGeometry(this),
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      ...serializeWeightArgs(this, ['depthwise', 'bias']),
    };
  }
}
