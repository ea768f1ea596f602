import {
  type ConstraintIdentifier,
  type InitializerIdentifier,
  Layer,
  type LayerArgs,
  type RegularizerIdentifier,
  register,
  type Shape,
  type SymbolicTensor,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type Constraint, getConstraint, serializeConstraint } from '../constraints/index.js';
import { getInitializer, type Initializer, serializeInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer } from '../regularizers/index.js';

/** Constructor arguments of `Embedding`: Keras's arguments of the same names, in camelCase. */
export interface EmbeddingArgs extends LayerArgs {
  /** Vocabulary size: the largest index plus one. */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  /** Default 'uniform' (RandomUniform in [-0.05, 0.05)). */
  embeddingsInitializer?: InitializerIdentifier;
  embeddingsRegularizer?: RegularizerIdentifier | null;
  embeddingsConstraint?: ConstraintIdentifier | null;
  /** Treat index 0 as padding and emit a mask. Default false. */
  maskZero?: boolean;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(
      `Received an invalid value for \`${name}\`, expected a positive integer. Received: ${name}=${value}`,
    );
  }
  return value;
}

/**
 * Turns integer indices into dense vectors: input `[batch, ...]` of indices in `[0, inputDim)`, output
 * `[batch, ..., outputDim]`. The weight is named `embeddings`.
 *
 * Keras: `keras.layers.Embedding`
 *
 * @example
 * ```ts
 * const layer = new Embedding({ inputDim: 1000, outputDim: 8 });
 * layer.apply(tf.tensor2d([[4, 20, 999]], [1, 3], 'int32')); // shape [1, 3, 8]
 * ```
 */
export class Embedding extends Layer {
  static override className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | null;
  readonly embeddingsConstraint: Constraint | null;
  readonly maskZero: boolean;
  embeddings: Variable | null = null;

  constructor(args: EmbeddingArgs) {
    const inputDim = positiveInteger(args?.inputDim, 'input_dim');
    const outputDim = positiveInteger(args?.outputDim, 'output_dim');
    super(args);
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.embeddingsInitializer = getInitializer(args.embeddingsInitializer ?? 'uniform');
    this.embeddingsRegularizer = getRegularizer(args.embeddingsRegularizer);
    this.embeddingsConstraint = getConstraint(args.embeddingsConstraint);
    this.maskZero = args.maskZero ?? false;
    this.supportsMasking = this.maskZero;
  }

  override build(inputShape: Shape): void {
    this.embeddings = this.addWeight('embeddings', {
      shape: [this.inputDim, this.outputDim],
      initializer: this.embeddingsInitializer,
      regularizer: this.embeddingsRegularizer,
      constraint: this.embeddingsConstraint,
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const output = tf.tidy(() => {
      const indices = x.dtype === 'int32' ? x : tf.cast(x, 'int32');
      const flat = tf.reshape(indices, [-1]);
      const rows = tf.gather(this.embeddings!.value, flat);
      return tf.reshape(rows, [...x.shape, this.outputDim]);
    });
    return output;
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
    if (!this.maskZero) return null;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.notEqual(x, 0);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape, this.outputDim];
  }

  protected override outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    return 'float32';
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: serializeRegularizer(this.embeddingsRegularizer),
      activityRegularizer: serializeRegularizer(this.activityRegularizer),
      embeddingsConstraint: serializeConstraint(this.embeddingsConstraint),
      maskZero: this.maskZero,
    };
  }
}

register('layer', 'Embedding', Embedding);
