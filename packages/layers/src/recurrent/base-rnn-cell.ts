import {
  type CallKwargs,
  type ConstraintIdentifier,
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
import { type Constraint, getConstraint, serializeConstraint } from '../constraints/index.js';
import { getInitializer, type Initializer, serializeInitializer } from '../initializers/index.js';
import { SeedGenerator } from '../random/seed-generator.js';
import { getRegularizer, type Regularizer, serializeRegularizer } from '../regularizers/index.js';
import { recurrentMatMul } from './recurrent-matmul.js';

/** The arguments every built-in cell (SimpleRNNCell, LSTMCell, GRUCell) shares, with Keras 3's names. */
export interface BaseRNNCellArgs extends LayerArgs {
  /** Positive integer: the size of the output and of each state. */
  units: number;
  /** Default 'tanh'. */
  activation?: ActivationIdentifier;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  recurrentRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  recurrentConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
  /** Fraction of the input features to drop (one mask per sequence). Default 0. */
  dropout?: number;
  /** Fraction of the recurrent state to drop before the recurrent matmul (one mask per sequence). Default 0. */
  recurrentDropout?: number;
  /** Integer seed for the dropout masks. */
  seed?: number | null;
}

/** What one timestep of a cell produces. */
export interface CellStep {
  output: tf.Tensor;
  states: tf.Tensor[];
}

/**
 * The protocol the RNN layer drives: project the inputs of every timestep at once (one big matmul),
 * then run only the recurrent part per step. StackedRNNCells and the built-in cells implement it.
 *
 * Tensors here are feature-major (transposed: `[features, batch]`). Packed gates then sit in contiguous
 * row blocks, so splitting them is a cheap copy rather than the strided gather that slicing the last
 * axis costs on tfjs's CPU and WASM backends (there it cost more than the matmul itself).
 */
export interface SequenceCell extends Layer {
  readonly stateSize: number[];
  readonly outputSize: number;
  /** Draws the dropout masks for one sequence (Keras uses the same mask at every timestep). */
  beginSequence(batch: number, inputDim: number, training: boolean): void;
  /** Forgets the masks of the sequence. */
  endSequence(): void;
  /** Input projections for all timesteps: `[time, batch, inputDim]` -> `[time, width, batch]`. */
  projectSequence(x: tf.Tensor3D): tf.Tensor3D;
  /** The input projection of one timestep: `[inputDim, batch]` -> `[width, batch]`. */
  projectStep(x: tf.Tensor2D): tf.Tensor2D;
  /** One timestep from its projected input; states and output are `[size, batch]`. */
  step(projected: tf.Tensor2D, states: tf.Tensor2D[]): CellStep;
}

export function isSequenceCell(cell: unknown): cell is SequenceCell {
  return (
    cell instanceof Layer &&
    typeof (cell as Partial<SequenceCell>).projectSequence === 'function' &&
    typeof (cell as Partial<SequenceCell>).step === 'function'
  );
}

function validateUnits(units: unknown): number {
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
    throw new ValueError(
      `Received an invalid value for argument \`units\`, expected a positive integer. Received: units=${units}`,
    );
  }
  return units;
}

function clampRate(rate: number | undefined, name: string): number {
  const r = rate ?? 0;
  if (typeof r !== 'number' || Number.isNaN(r)) {
    throw new ValueError(`\`${name}\` must be a number in [0, 1]. Received: ${name}=${rate}`);
  }
  // Keras clips the rates into [0, 1].
  return Math.min(1, Math.max(0, r));
}

/**
 * Shared logic of the built-in cells: argument handling, the kernel / recurrent_kernel / bias weights
 * (Keras 3's names and shapes, gates packed along the last axis), the batched input projection and the
 * per-sequence dropout masks. A subclass sets the gate count and writes `step`.
 *
 * Keras: `keras.src.layers.rnn` (the cell protocol of `keras.layers.RNN`)
 *
 * @example
 * ```ts
 * // The base of SimpleRNNCell, GRUCell and LSTMCell: one step of a recurrent layer.
 * const cell: BaseRNNCell = new GRUCell({ units: 4 });
 * new RNN({ cell }).apply(tf.ones([2, 5, 3])); // shape [2, 4]
 * ```
 */
export abstract class BaseRNNCell extends Layer implements SequenceCell {
  readonly units: number;
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;

  /** Mask on the input features `[inputDim, batch]`, during a training sequence with dropout. */
  protected inputDropoutMask: tf.Tensor | null = null;
  /** Mask on the previous output `[units, batch]`, during a training sequence with recurrent dropout. */
  protected recurrentDropoutMask: tf.Tensor | null = null;
  /** The kernels transposed, `[width, inputDim]` and `[width, units]`, once per sequence. */
  protected kernelT: tf.Tensor2D | null = null;
  protected recurrentKernelT: tf.Tensor2D | null = null;
  private readonly seedGenerator: SeedGenerator;
  /** True between beginSequence and endSequence, while an RNN layer drives this cell. */
  protected inSequence = false;

  /** Gates packed along the last axis of the weights (1 for SimpleRNN, 3 for GRU, 4 for LSTM). */
  protected abstract readonly gates: number;
  abstract readonly stateSize: number[];

  constructor(args: BaseRNNCellArgs) {
    const units = validateUnits(args?.units);
    super(args);
    this.units = units;
    this.activation = getActivation(args.activation === undefined ? 'tanh' : args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorot_uniform');
    this.recurrentInitializer = getInitializer(args.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
    this.kernelConstraint = getConstraint(args.kernelConstraint);
    this.recurrentConstraint = getConstraint(args.recurrentConstraint);
    this.biasConstraint = getConstraint(args.biasConstraint);
    this.dropout = clampRate(args.dropout, 'dropout');
    this.recurrentDropout = clampRate(args.recurrentDropout, 'recurrent_dropout');
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
  }

  get outputSize(): number {
    return this.units;
  }

  /** The bias weight's shape and initializer; GRU and LSTM override it. */
  protected biasSpec(): { shape: number[]; initializer: Initializer } {
    return { shape: [this.gates * this.units], initializer: this.biasInitializer };
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const inputDim = shape[shape.length - 1];
    if (inputDim == null) {
      throw new ValueError(
        `Layer "${this.name}": the last dimension of the input must be defined. Received: input_shape=${JSON.stringify(shape)}`,
      );
    }
    const width = this.gates * this.units;
    this.kernel = this.addWeight('kernel', {
      shape: [inputDim, width],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    this.recurrentKernel = this.addWeight('recurrent_kernel', {
      shape: [this.units, width],
      initializer: this.recurrentInitializer,
      regularizer: this.recurrentRegularizer,
      constraint: this.recurrentConstraint,
    });
    if (this.useBias) {
      const { shape: biasShape, initializer } = this.biasSpec();
      this.bias = this.addWeight('bias', {
        shape: biasShape,
        initializer,
        regularizer: this.biasRegularizer,
        constraint: this.biasConstraint,
      });
    }
    super.build(inputShape);
  }

  beginSequence(batch: number, inputDim: number, training: boolean): void {
    this.endSequence();
    this.inSequence = true;
    this.kernelT = tf.transpose(this.kernel!.value) as tf.Tensor2D;
    this.recurrentKernelT = tf.transpose(this.recurrentKernel!.value) as tf.Tensor2D;
    if (!training) return;
    if (this.dropout > 0) this.inputDropoutMask = this.dropoutMask([inputDim, batch], this.dropout);
    if (this.recurrentDropout > 0) {
      this.recurrentDropoutMask = this.dropoutMask([this.units, batch], this.recurrentDropout);
    }
  }

  endSequence(): void {
    this.inSequence = false;
    this.kernelT = null;
    this.recurrentKernelT = null;
    this.inputDropoutMask = null;
    this.recurrentDropoutMask = null;
  }

  private dropoutMask(shape: number[], rate: number): tf.Tensor {
    if (rate >= 1) return tf.zeros(shape);
    return tf.dropout(tf.ones(shape), rate, undefined, this.seedGenerator.next());
  }

  /** The bias added to the input projection (all of it, except GRU's recurrent half). */
  protected inputBias(): tf.Tensor | undefined {
    return this.bias?.value;
  }

  /** The input bias as a column, to broadcast over the batch in feature-major layout. */
  private inputBiasColumn(): tf.Tensor | undefined {
    const bias = this.inputBias();
    return bias ? tf.reshape(bias, [-1, 1]) : undefined;
  }

  projectStep(x: tf.Tensor2D): tf.Tensor2D {
    const dropped = this.inputDropoutMask ? tf.mul(x, this.inputDropoutMask) : x;
    return recurrentMatMul(
      this.kernelT!,
      this.kernel!.value as tf.Tensor2D,
      dropped as tf.Tensor2D,
      this.inputBiasColumn(),
    );
  }

  projectSequence(x: tf.Tensor3D): tf.Tensor3D {
    const [time, batch, inputDim] = x.shape;
    if (tf.getBackend() === 'cpu') {
      // On CPU: one batched matmul over time, [time, width, inputDim] x [time, inputDim, batch], which lands
      // in feature-major layout directly. The kernel is tiled rather than broadcast because tfjs's matmul
      // gradients do not reduce broadcast batch axes.
      let xT = tf.transpose(x, [0, 2, 1]);
      if (this.inputDropoutMask) xT = tf.mul(xT, this.inputDropoutMask);
      const kernel = tf.tile(tf.expandDims(this.kernelT!, 0), [time, 1, 1]) as tf.Tensor3D;
      const product = tf.matMul(kernel, xT as tf.Tensor3D);
      const bias = this.inputBiasColumn();
      return (bias ? tf.add(product, bias) : product) as tf.Tensor3D;
    }
    // Elsewhere tiling and batched matmuls are slow and transposes cheap: one 2-D fused matmul, then one
    // transpose into feature-major layout.
    const dropped = this.inputDropoutMask ? tf.mul(x, tf.transpose(this.inputDropoutMask)) : x;
    const product = tf.fused.matMul({
      a: tf.reshape(dropped, [time * batch, inputDim]) as tf.Tensor2D,
      b: this.kernel!.value as tf.Tensor2D,
      bias: this.inputBias(),
    });
    return tf.transpose(tf.reshape(product, [time, batch, -1]), [0, 2, 1]) as tf.Tensor3D;
  }

  /** `recurrent_kernelᵀ · h + bias` for one step, feature-major (see recurrentMatMul). */
  protected recurrentProduct(h: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
    return recurrentMatMul(this.recurrentKernelT!, this.recurrentKernel!.value as tf.Tensor2D, h, bias);
  }

  /** The previous output as the recurrent matmul sees it (after recurrent dropout). */
  protected recurrentInput(h: tf.Tensor2D): tf.Tensor2D {
    return this.recurrentDropoutMask ? (tf.mul(h, this.recurrentDropoutMask) as tf.Tensor2D) : h;
  }

  abstract step(projected: tf.Tensor2D, states: tf.Tensor2D[]): CellStep;

  /**
   * Keras's cell call `cell(inputs, states)`: here `[inputs, ...states]` in, `[output, ...newStates]` out,
   * for one timestep. Outside an RNN, dropout (if any) draws fresh masks at every call.
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const [x, ...states] = list;
    if (states.length !== this.stateSize.length) {
      throw new ValueError(
        `Layer "${this.name}" expects its input and ${this.stateSize.length} state tensor(s) ` +
          `([inputs, ...states]). Received: ${list.length} tensor(s)`,
      );
    }
    return tf.tidy(() => {
      const x2 = (x.dtype === 'float32' ? x : tf.cast(x, 'float32')) as tf.Tensor2D;
      const owned = !this.inSequence;
      if (owned) this.beginSequence(x2.shape[0], x2.shape[1], kwargs.training ?? false);
      try {
        const statesT = states.map((s) => tf.transpose(s) as tf.Tensor2D);
        const out = this.step(this.projectStep(tf.transpose(x2) as tf.Tensor2D), statesT);
        return [out.output, ...out.states].map((t) => tf.transpose(t));
      } finally {
        if (owned) this.endSequence();
      }
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [[shape[0], this.units], ...this.stateSize.map((s) => [shape[0], s])];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      recurrentRegularizer: serializeRegularizer(this.recurrentRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      recurrentConstraint: serializeConstraint(this.recurrentConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      seed: this.seed,
    };
  }
}
