import {
  type ConstraintIdentifier,
  formatShape,
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
  type ActivationFn,
  type ActivationIdentifier,
  getActivation,
  serializeActivation,
} from '../activations/index.js';
import type { Constraint } from '../constraints/index.js';
import { resolveWeightArgs, serializeWeightArgs, weightSettings } from '../core/weight-args.js';
import type { Initializer } from '../initializers/index.js';
import type { Regularizer } from '../regularizers/index.js';
import { einsum } from './einsum.js';

/** Constructor arguments of `EinsumDense`: Keras's arguments of the same names, in camelCase. */
export interface EinsumDenseArgs extends LayerArgs {
  /** The einsum equation, e.g. `'ab,bc->ac'`, `'...b,bc->...c'` or `'abc,cde->abde'`. */
  equation: string;
  /**
   * The output shape without the batch axis (and without the axes an ellipsis stands for); null entries
   * are taken from the input. An integer means a one-axis output.
   */
  outputShape: number | (number | null)[];
  /** Activation applied to the output. Default none (linear). */
  activation?: ActivationIdentifier;
  /** Output letters that get a bias (e.g. `'c'`); null for no bias. Default null. */
  biasAxes?: string | null;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

interface EinsumAnalysis {
  kernelShape: number[];
  biasShape: number[] | null;
  fullOutputShape: Shape;
}

/** Splits an EinsumDense equation into its three specs; the ellipsis may lead or trail the input. */
function matchEquation(equation: string): {
  inputSpec: string;
  weightSpec: string;
  outputSpec: string;
  elision: 'none' | 'left' | 'right';
} {
  const eq = equation.replace(/\s+/g, '');
  const forms: ['none' | 'left' | 'right', RegExp][] = [
    ['none', /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$/],
    ['left', /^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$/],
    ['right', /^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]{2,})\.\.\.$/],
  ];
  for (const [elision, re] of forms) {
    const m = re.exec(eq);
    if (m) return { inputSpec: m[1], weightSpec: m[2], outputSpec: m[3], elision };
  }
  throw new ValueError(
    `Invalid einsum equation '${equation}'. Equations must be in the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z].... Received: equation=${equation}`,
  );
}

/** Keras's equation analysis: the kernel and bias shapes and the full output shape for an input shape. */
function analyzeEinsum(
  equation: string,
  biasAxes: string | null,
  inputShape: Shape,
  outputShape: (number | null)[],
): EinsumAnalysis {
  const { inputSpec, weightSpec, outputSpec, elision } = matchEquation(equation);
  const leftElided = elision === 'left';
  const elided = inputShape.length - inputSpec.length;
  if (elided < 0 || (elision === 'none' && elided !== 0)) {
    throw new ValueError(
      `Einsum equation '${equation}' expects an input of rank ${inputSpec.length}. Received: input_shape=${formatShape(inputShape)}`,
    );
  }
  const full: Shape = [inputShape[0], ...outputShape];
  if (elided > 0 && leftElided) {
    for (let i = 1; i < elided; i++) full.splice(1, 0, inputShape[i]);
  } else if (elided > 0) {
    for (let i = inputShape.length - elided; i < inputShape.length; i++) full.push(inputShape[i]);
  }
  const inputIndex = (c: string) => (leftElided ? inputSpec.indexOf(c) + elided : inputSpec.indexOf(c));
  const outputIndex = (c: string) => (leftElided ? outputSpec.indexOf(c) + elided : outputSpec.indexOf(c));
  for (const c of inputSpec) {
    if (outputSpec.includes(c)) {
      const o = full[outputIndex(c)];
      const i = inputShape[inputIndex(c)];
      if (o != null && i != null && o !== i) {
        throw new ValueError(
          `Input shape and output shape do not match at shared dimension '${c}'. Input shape is ${i}, ` +
            `and output shape is ${o}.`,
        );
      }
      if (o == null) full[outputIndex(c)] = i;
    }
  }
  for (const c of outputSpec) {
    if (!inputSpec.includes(c) && !weightSpec.includes(c)) {
      throw new ValueError(
        `Dimension '${c}' was specified in the output '${outputSpec}' but has no corresponding dim in the ` +
          `input spec '${inputSpec}' or weight spec '${weightSpec}'`,
      );
    }
  }
  const kernelShape = [...weightSpec].map((c) => {
    const d = inputSpec.includes(c)
      ? inputShape[inputIndex(c)]
      : outputSpec.includes(c)
        ? full[outputIndex(c)]
        : undefined;
    if (d === undefined) {
      throw new ValueError(
        `Weight dimension '${c}' did not have a match in either the input spec '${inputSpec}' or the output ` +
          `spec '${outputSpec}'. For this layer, the weight must be fully specified.`,
      );
    }
    if (d == null) {
      throw new ValueError(
        `Weight dimension '${c}' of einsum '${equation}' is unknown. Received: input_shape=${formatShape(inputShape)}`,
      );
    }
    return d;
  });
  let biasShape: number[] | null = null;
  if (biasAxes != null) {
    for (const c of biasAxes) {
      if (!outputSpec.includes(c)) {
        throw new ValueError(
          `Bias dimension '${c}' was requested, but is not part of the output spec '${outputSpec}'`,
        );
      }
    }
    const first = Math.min(...[...biasAxes].map((c) => outputSpec.indexOf(c)));
    biasShape = [...outputSpec.slice(first)].map((c) =>
      biasAxes.includes(c) ? (full[outputIndex(c)] as number) : 1,
    );
    if (!leftElided) for (let i = 0; i < elided; i++) biasShape.push(1);
  }
  return { kernelShape, biasShape, fullOutputShape: full };
}

/** Replaces the ellipsis of an equation with fresh upper-case letters for an input of the given rank. */
function expandEllipsis(equation: string, rank: number): string {
  const eq = equation.replace(/\s+/g, '');
  if (!eq.includes('...')) return eq;
  const inputSpec = eq.split(',')[0].replace('...', '');
  const fresh = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, rank - inputSpec.length);
  return eq.replaceAll('...', fresh);
}

/**
 * A dense layer whose computation is an einsum between the input and a kernel (Keras's EinsumDense):
 * `output = activation(einsum(equation, input, kernel) + bias)`. With `'ab,bc->ac'` it is Dense; with
 * `'abc,cde->abde'` it projects each position of a sequence onto `[heads, dim]` as MultiHeadAttention
 * does. Weights, in order: kernel, bias.
 *
 * Keras: `keras.layers.EinsumDense`
 *
 * @example
 * ```ts
 * const layer = new EinsumDense({ equation: 'abc,cd->abd', outputShape: [null, 64], biasAxes: 'd' });
 * layer.apply(tf.ones([2, 32, 128])); // shape [2, 32, 64]
 * ```
 */
export class EinsumDense extends Layer {
  static override className = 'EinsumDense';

  readonly equation: string;
  readonly partialOutputShape: (number | null)[];
  readonly activation: ActivationFn;
  readonly biasAxes: string | null;
  declare readonly kernelInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(args: EinsumDenseArgs) {
    if (typeof args?.equation !== 'string') {
      throw new ValueError(
        `EinsumDense needs an einsum \`equation\` string. Received: equation=${args?.equation}`,
      );
    }
    const outputShape = args.outputShape;
    const partial = typeof outputShape === 'number' ? [outputShape] : outputShape;
    if (!Array.isArray(partial) || partial.some((d) => d != null && !(Number.isInteger(d) && d > 0))) {
      throw new ValueError(
        `EinsumDense needs \`output_shape\` as a positive integer or a list of positive integers and nulls. Received: output_shape=${JSON.stringify(outputShape)}`,
      );
    }
    super(args);
    this.equation = args.equation;
    this.partialOutputShape = partial.map((d) => d ?? null);
    this.activation = getActivation(args.activation);
    this.biasAxes = args.biasAxes ?? null;
    Object.assign(this, resolveWeightArgs(args, { kernel: 'glorot_uniform', bias: 'zeros' }));
    // A malformed equation fails now rather than at the first call.
    matchEquation(this.equation);
  }

  override build(inputShape: Shape): void {
    const { kernelShape, biasShape } = analyzeEinsum(
      this.equation,
      this.biasAxes,
      inputShape,
      this.partialOutputShape,
    );
    this.kernel = this.addWeight('kernel', {
      shape: kernelShape,
      ...weightSettings(this, 'kernel'),
    });
    if (biasShape) {
      this.bias = this.addWeight('bias', {
        shape: biasShape,
        ...weightSettings(this, 'bias'),
      });
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const output = tf.tidy(() => {
      const x2 = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      let y = einsum(expandEllipsis(this.equation, x2.rank), x2, this.kernel!.value);
      if (this.bias) y = tf.add(y, this.bias.value);
      return this.activation(y);
    });
    return output;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return analyzeEinsum(this.equation, null, inputShape, this.partialOutputShape).fullOutputShape;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      outputShape: this.partialOutputShape,
      equation: this.equation,
      activation: serializeActivation(this.activation),
      biasAxes: this.biasAxes,
      ...serializeWeightArgs(this, ['kernel', 'bias']),
    };
    return config;
  }
}

register('layer', 'EinsumDense', EinsumDense);
