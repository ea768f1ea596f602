import {
  type ConstraintIdentifier,
  type InitializerIdentifier,
  Layer,
  type LayerArgs,
  type RegularizerIdentifier,
  register,
  type Shape,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type FusedActivation,
  fusedActivationOf,
  LEAKY_RELU_SLOPE,
} from '../activations/fused-activation.js';
import {
  type ActivationFn,
  type ActivationIdentifier,
  getActivation,
  serializeActivation,
} from '../activations/index.js';
import type { Constraint } from '../constraints/index.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import { resolveWeightArgs, serializeWeightArgs, weightSettings } from './weight-args.js';

/** Constructor arguments of `Dense`: Keras's arguments of the same names, in camelCase. */
export interface DenseArgs extends LayerArgs {
  /** Positive integer: the size of the last output axis. */
  units: number;
  /** Activation applied to the output. Default none (linear). */
  activation?: ActivationIdentifier;
  /** Whether to add a bias vector. Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

/**
 * Just your regular densely-connected layer: `output = activation(dot(input, kernel) + bias)`.
 *
 * Input shape `[batch, ..., inputDim]`; output shape `[batch, ..., units]`. On inputs of rank > 2 the
 * kernel applies along the last axis. The matmul, bias and (where tfjs has it fused) the activation run
 * as one fused kernel.
 *
 * Keras: `keras.layers.Dense`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 32, activation: 'relu' });
 * layer.apply(tf.ones([4, 16])); // shape [4, 32]
 * ```
 */
export class Dense extends Layer {
  static override className = 'Dense';

  readonly units: number;
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

  private readonly fusedActivation: FusedActivation | null;

  constructor(args: DenseArgs) {
    const units = args?.units;
    if (!Number.isInteger(units) || units <= 0) {
      throw new ValueError(
        `Received an invalid value for \`units\`, expected a positive integer. Received: units=${units}`,
      );
    }
    super(args);
    this.units = units;
    this.activation = getActivation(args.activation);
    this.useBias = args.useBias ?? true;
    Object.assign(this, resolveWeightArgs(args, { kernel: 'glorot_uniform', bias: 'zeros' }));
    this.fusedActivation = fusedActivationOf(this.activation);
    this.inputSpec = { minNdim: 2 };
    this.supportsMasking = true;
  }

  override build(inputShape: Shape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputDim == null) {
      throw new ValueError(
        `Layer "${this.name}": the last dimension of the input must be defined. Received: input_shape=${JSON.stringify(inputShape)}`,
      );
    }
    this.kernel = this.addWeight('kernel', {
      shape: [inputDim, this.units],
      ...weightSettings(this, 'kernel'),
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', {
        shape: [this.units],
        ...weightSettings(this, 'bias'),
      });
    }
    this.inputSpec = { minNdim: 2, axes: { [-1]: inputDim } };
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const output = tf.tidy(() => {
      const x2 = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      const flat = x2.rank === 2 ? x2 : tf.reshape(x2, [-1, x2.shape[x2.rank - 1]]);
      const kernel = this.kernel!.value;
      const bias = this.bias?.value;
      let y: tf.Tensor;
      if (this.fusedActivation) {
        y = tf.fused.matMul({
          a: flat as tf.Tensor2D,
          b: kernel as tf.Tensor2D,
          bias,
          activation: this.fusedActivation,
          leakyreluAlpha: LEAKY_RELU_SLOPE,
        });
      } else {
        y = this.activation(tf.fused.matMul({ a: flat as tf.Tensor2D, b: kernel as tf.Tensor2D, bias }));
      }
      return x2.rank === 2 ? y : tf.reshape(y, [...x2.shape.slice(0, -1), this.units]);
    });
    return output;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      units: this.units,
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      ...serializeWeightArgs(this, ['kernel', 'bias'], false),
    };
    return config;
  }
}

register('layer', 'Dense', Dense);
