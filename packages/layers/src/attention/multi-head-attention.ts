import {
  type ApplyKwargs,
  type CallKwargs,
  type ConstraintIdentifier,
  formatShape,
  type InitializerIdentifier,
  isShapeList,
  isSymbolic,
  Layer,
  type LayerArgs,
  type RegularizerIdentifier,
  register,
  type Shape,
  type SymbolicTensor,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type Constraint, getConstraint, serializeConstraint } from '../constraints/index.js';
import { getInitializer, type Initializer, serializeInitializer } from '../initializers/index.js';
import { SeedGenerator, validateRate } from '../random/seed-generator.js';
import { getRegularizer, type Regularizer, serializeRegularizer } from '../regularizers/index.js';
import { einsum } from './einsum.js';
import { EinsumDense } from './einsum-dense.js';

/** Constructor arguments of `MultiHeadAttention`: Keras's arguments of the same names, in camelCase. */
export interface MultiHeadAttentionArgs extends LayerArgs {
  /** Number of attention heads. */
  numHeads: number;
  /** Size of each attention head for query and key. */
  keyDim: number;
  /** Size of each attention head for value. Default `keyDim`. */
  valueDim?: number | null;
  /** Dropout rate on the attention probabilities. Default 0. */
  dropout?: number;
  /** Whether the projections have biases. Default true. */
  useBias?: boolean;
  /** Output shape besides the batch and sequence axes. Default: the query's last dimension. */
  outputShape?: number | number[] | null;
  /** Axes attention runs over. Default: all axes but batch, heads and features. */
  attentionAxes?: number | number[] | null;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  activityRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
  /** Integer seed for the dropout. */
  seed?: number | null;
  /**
   * Gated attention (Keras 3.15): a sigmoid projection of the query, one gate per head and value feature,
   * multiplies the attention output before the output projection. Default false.
   */
  useGate?: boolean;
  /**
   * Keras 3.15's sliding window: query position i attends only to key positions j with |i - j| < slidingWindow
   * (combined with the causal mask and the other masks). Default null (full attention).
   */
  slidingWindow?: number | null;
}

/** What `call` reads from its keyword arguments (Keras's call arguments; snake_case from files works too). */
export interface MultiHeadAttentionCallKwargs extends CallKwargs {
  /**
   * Boolean or 0/1 tensor of shape `[B, T, S]` (batch and head axes broadcast); 1 lets a query attend. In a
   * functional model it may be a symbolic tensor, e.g. an `input()`, and is then an input of the call.
   */
  attentionMask?: tf.Tensor | SymbolicTensor | null;
  /** Lets position i attend only to positions j <= i (decoder self-attention). Default false. */
  useCausalMask?: boolean;
  /** Return `[output, scores]` instead of `output`. Default false. */
  returnAttentionScores?: boolean;
}

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(
      `MultiHeadAttention needs \`${name}\` as a positive integer. Received: ${name}=${value === undefined ? 'None' : JSON.stringify(value)}`,
    );
  }
  return value;
}

function letter(i: number): string {
  return 'abcdefghijklmnopqrstuvwxyz'[i];
}

/** Keras's projection equation: `free` kept axes, `bound` contracted axes, `outputDims` new axes. */
function projectionEquation(free: number, bound: number, outputDims: number) {
  let input = '';
  let kernel = '';
  let output = '';
  let bias = '';
  for (let i = 0; i < free; i++) {
    input += letter(i);
    output += letter(i);
  }
  for (let i = 0; i < bound; i++) {
    input += letter(free + i);
    kernel += letter(free + i);
  }
  for (let i = 0; i < outputDims; i++) {
    const c = letter(free + bound + i);
    kernel += c;
    output += c;
    bias += c;
  }
  return { equation: `${input},${kernel}->${output}`, biasAxes: bias, outputRank: output.length };
}

function partialShape(outputRank: number, known: number[]): (number | null)[] {
  return [...new Array<null>(outputRank - known.length).fill(null), ...known];
}

/** Keras's attention equations for projected tensors of `rank` with attention over `attnAxes`. */
function attentionEquations(rank: number, attnAxes: number[]) {
  const target = [...Array(rank)].map((_, i) => letter(i)).join('');
  const batchDims = [...Array(rank).keys()].filter((i) => !attnAxes.includes(i) && i !== rank - 1);
  let offset = rank;
  let source = '';
  for (let i = 0; i < rank; i++) {
    source += batchDims.includes(i) || i === rank - 1 ? target[i] : letter(offset++);
  }
  const product = [
    ...batchDims.map((i) => target[i]),
    ...attnAxes.map((i) => target[i]),
    ...attnAxes.map((i) => source[i]),
  ].join('');
  return {
    dotProduct: `${source},${target}->${product}`,
    combine: `${product},${source}->${target}`,
    scoresRank: product.length,
  };
}

/**
 * Multi-head attention (Vaswani et al., 2017), as Keras's MultiHeadAttention: query, key and value are
 * projected per head by EinsumDense sub-layers named `query`, `key`, `value` (kernels `[dim, numHeads,
 * keyDim]`, biases `[numHeads, keyDim]`), scaled dot products are softmaxed over the key positions, the
 * values are mixed by them, and `attention_output` (kernel `[numHeads, valueDim, outDim]`) projects back.
 *
 * Calling: Strata passes a layer one positional input, so the inputs are a list, `[query, value]` or
 * `[query, value, key]` (key defaults to value), of shapes `[B, T, dim]`, `[B, S, dim]`, `[B, S, dim]`.
 * Keyword arguments: `attentionMask` (`[B, T, S]`; a concrete tensor, or in a functional model a
 * symbolic one such as an `input()`), `useCausalMask`, `returnAttentionScores` (then the result is
 * `[output, scores]`, scores `[B, numHeads, T, S]`) and `training`. Keras masks of the inputs (e.g. from
 * `Embedding({ maskZero: true })`) are honoured, and the output carries the query's mask.
 *
 * Keras: `keras.layers.MultiHeadAttention`
 *
 * @example
 * ```ts
 * const x = input({ shape: [8, 16] });
 * const y = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], { useCausalMask: true });
 * // A padding mask fed with the data: a second model input.
 * const m = input({ shape: [8, 8] });
 * const z = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], { attentionMask: m });
 * const model = new Model({ inputs: [x, m], outputs: z });
 * ```
 */
export class MultiHeadAttention extends Layer {
  static override className = 'MultiHeadAttention';

  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly partialOutputShape: number[] | null;
  readonly attentionAxes: number[] | null;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  /** Keras's `_activity_regularizer`: given to the projections; the layer's own output is not penalized. */
  private readonly projectionActivityRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  readonly seed: number | null;
  readonly useGate: boolean;
  readonly slidingWindow: number | null;

  queryDense: EinsumDense | null = null;
  keyDense: EinsumDense | null = null;
  valueDense: EinsumDense | null = null;
  /** The sigmoid gate projection of the query (only with `useGate`). */
  gateDense: EinsumDense | null = null;
  outputDense: EinsumDense | null = null;

  private readonly seedGenerator: SeedGenerator;
  private resolvedAxes: number[] = [];
  private equations: { dotProduct: string; combine: string; scoresRank: number } | null = null;

  constructor(args: MultiHeadAttentionArgs) {
    const numHeads = positiveInt(args?.numHeads, 'num_heads');
    const keyDim = positiveInt(args?.keyDim, 'key_dim');
    const valueDim = args.valueDim == null ? keyDim : positiveInt(args.valueDim, 'value_dim');
    const window = args.slidingWindow;
    if (window != null && !(Number.isInteger(window) && window > 0)) {
      throw new ValueError(
        `\`sliding_window\` must be \`None\` or a positive integer. Received: sliding_window=${JSON.stringify(window)}`,
      );
    }
    if (args.useGate != null && typeof args.useGate !== 'boolean') {
      throw new ValueError(
        `\`use_gate\` must be a boolean. Received: use_gate=${JSON.stringify(args.useGate)}`,
      );
    }
    super({ ...args, activityRegularizer: null });
    this.useGate = args.useGate ?? false;
    this.slidingWindow = window ?? null;
    this.numHeads = numHeads;
    this.keyDim = keyDim;
    this.valueDim = valueDim;
    this.dropout = validateRate(args.dropout ?? 0);
    this.useBias = args.useBias ?? true;
    const out = args.outputShape;
    if (out == null) this.partialOutputShape = null;
    else {
      const list = typeof out === 'number' ? [out] : out;
      if (!Array.isArray(list) || list.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw new ValueError(
          `Invalid \`output_shape\`: ${JSON.stringify(out)}. When specified, the \`output_shape\` should be of type tuple, list, or int.`,
        );
      }
      this.partialOutputShape = list.slice();
    }
    const axes = args.attentionAxes;
    if (axes == null) this.attentionAxes = null;
    else {
      const list = typeof axes === 'number' ? [axes] : axes;
      if (!Array.isArray(list) || list.some((a) => !Number.isInteger(a))) {
        throw new ValueError(
          `\`attention_axes\` must be an int, list, or tuple. Received: attention_axes=${JSON.stringify(axes)}`,
        );
      }
      this.attentionAxes = list.slice();
    }
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorot_uniform');
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros');
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
    this.projectionActivityRegularizer = getRegularizer(args.activityRegularizer);
    this.kernelConstraint = getConstraint(args.kernelConstraint);
    this.biasConstraint = getConstraint(args.biasConstraint);
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.supportsMasking = true;
  }

  override get subLayers(): Layer[] {
    // Keras's build order (and so its weight order): query, key, gate, value, output.
    return [this.queryDense, this.keyDense, this.gateDense, this.valueDense, this.outputDense].filter(
      (l): l is EinsumDense => l != null,
    );
  }

  /** The attribute names Keras 3 saves the projections under (`layers/<name>/query_dense/vars/0`, ...). */
  override kerasSaveChildren(): Record<string, Layer> {
    const children: Record<string, Layer> = {};
    if (this.queryDense) children.query_dense = this.queryDense;
    if (this.keyDense) children.key_dense = this.keyDense;
    if (this.gateDense) children.gate_dense = this.gateDense;
    if (this.valueDense) children.value_dense = this.valueDense;
    if (this.outputDense) children.output_dense = this.outputDense;
    return children;
  }

  private splitShapes(inputShape: Shape | Shape[]): { query: Shape; value: Shape; key: Shape } {
    if (!isShapeList(inputShape) || inputShape.length < 2 || inputShape.length > 3) {
      throw new ValueError(
        `Layer "${this.name}" (MultiHeadAttention) must be called on a list [query, value] or [query, value, key]. ` +
          `Received: input_shape=${JSON.stringify(inputShape)}`,
      );
    }
    const [query, value, key = value] = inputShape;
    if (JSON.stringify(value.slice(1, -1)) !== JSON.stringify(key.slice(1, -1))) {
      throw new ValueError(
        `All dimensions of \`value\` and \`key\`, except the last one, must be equal. ` +
          `Received: value_shape=${formatShape(value)} and key_shape=${formatShape(key)}`,
      );
    }
    return { query, value, key };
  }

  private subLayerArgs() {
    return {
      kernelInitializer: serializeInitializer(this.kernelInitializer)!,
      biasInitializer: serializeInitializer(this.biasInitializer)!,
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: serializeRegularizer(this.projectionActivityRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
    };
  }

  private projection(
    name: string,
    rank: number,
    bound: number,
    known: number[],
    activation?: 'sigmoid',
  ): EinsumDense {
    const { equation, biasAxes, outputRank } = projectionEquation(rank - 1, bound, known.length);
    return new EinsumDense({
      name,
      activation,
      equation,
      outputShape: partialShape(outputRank - 1, known),
      biasAxes: this.useBias ? biasAxes : null,
      ...this.subLayerArgs(),
    });
  }

  override build(inputShape: Shape | Shape[]): void {
    const { query, value, key } = this.splitShapes(inputShape);
    for (const [what, s] of [
      ['query', query],
      ['value', value],
      ['key', key],
    ] as const) {
      if (s.length < 3 || s[s.length - 1] == null) {
        throw new ValueError(
          `Layer "${this.name}": the ${what} needs rank >= 3 with a defined last axis. Received: ${what}_shape=${formatShape(s)}`,
        );
      }
    }
    this.queryDense = this.projection('query', query.length, 1, [this.numHeads, this.keyDim]);
    this.queryDense.maybeBuild(query);
    this.keyDense = this.projection('key', key.length, 1, [this.numHeads, this.keyDim]);
    this.keyDense.maybeBuild(key);
    if (this.useGate) {
      this.gateDense = this.projection('gate', query.length, 1, [this.numHeads, this.valueDim], 'sigmoid');
      this.gateDense.maybeBuild(query);
    }
    this.valueDense = this.projection('value', value.length, 1, [this.numHeads, this.valueDim]);
    this.valueDense.maybeBuild(value);

    const rank = query.length + 1;
    this.resolvedAxes = this.axesFor(rank);
    this.equations = attentionEquations(rank, this.resolvedAxes);

    const outDims = this.partialOutputShape ?? [query[query.length - 1] as number];
    this.outputDense = this.projection('attention_output', query.length, 2, outDims);
    const projected = this.queryDense.computeOutputShape(query).slice();
    projected[projected.length - 1] = this.valueDim;
    this.outputDense.maybeBuild(projected);
    super.build(inputShape);
  }

  /** Keras's build config for this layer: the shapes of query, value and key. */
  override getBuildConfig(): Record<string, unknown> | null {
    if (!this.buildInputShape || !isShapeList(this.buildInputShape)) return null;
    const [query, value, key] = this.buildInputShape;
    const shapes: Record<string, unknown> = { query_shape: query, value_shape: value };
    if (key) shapes.key_shape = key;
    return { shapes_dict: shapes };
  }

  override buildFromConfig(config: Record<string, unknown>): void {
    const dict = config.shapes_dict as Record<string, Shape> | undefined;
    if (dict?.query_shape && dict.value_shape) {
      const shapes = [dict.query_shape, dict.value_shape];
      if (dict.key_shape) shapes.push(dict.key_shape);
      if (!this.built) this.maybeBuild(shapes);
      return;
    }
    super.buildFromConfig(config);
  }

  /** Keras's `call(query, value, key)` takes the inputs as separate arguments; model configs write them so. */
  override get separatePositionalInputs(): boolean {
    return true;
  }

  /** A symbolic attention mask must fit the scores, as a concrete one must when the model runs. */
  protected override checkSymbolicCall(inputs: SymbolicTensor[], kwargs: ApplyKwargs): void {
    const given = kwargs.attentionMask;
    if (!isSymbolic(given) || inputs.length < 2) return;
    const [query, value] = inputs;
    const axes = this.axesFor(query.rank + 1);
    this.checkMaskShape(given.shape, this.scoresShape(query.shape, value.shape, axes), axes.length);
  }

  /** The combined boolean mask `[B, T, S]` (or broadcastable), or null when nothing is masked. */
  private attentionMask(
    query: tf.Tensor,
    value: tf.Tensor,
    kwargs: CallKwargs,
    scoresShape: number[],
  ): tf.Tensor | null {
    const masks = Array.isArray(kwargs.mask) ? kwargs.mask : [kwargs.mask ?? null];
    const [queryMask, valueMask, keyMask] = masks;
    let auto: tf.Tensor | null = null;
    const and = (m: tf.Tensor) => {
      const b = tf.cast(m, 'bool');
      auto = auto == null ? b : tf.logicalAnd(auto, b);
    };
    if (queryMask) and(tf.expandDims(queryMask, -1));
    if (valueMask) and(tf.expandDims(valueMask, -2));
    if (keyMask) and(tf.expandDims(keyMask, -2));
    if (kwargs.useCausalMask) {
      const t = query.shape[1] as number;
      const s = value.shape[1] as number;
      const rows = tf.reshape(tf.range(0, t, 1, 'int32'), [1, t, 1]);
      const cols = tf.reshape(tf.range(0, s, 1, 'int32'), [1, 1, s]);
      and(tf.greaterEqual(rows, cols));
    }
    if (this.slidingWindow != null) {
      const t = query.shape[1] as number;
      const s = value.shape[1] as number;
      const rows = tf.reshape(tf.range(0, t, 1, 'int32'), [1, t, 1]);
      const cols = tf.reshape(tf.range(0, s, 1, 'int32'), [1, 1, s]);
      and(tf.less(tf.abs(tf.sub(rows, cols)), this.slidingWindow));
    }
    const given = kwargs.attentionMask as tf.Tensor | null | undefined;
    let mask: tf.Tensor | null = auto;
    if (given != null) {
      if (!(given instanceof tf.Tensor)) {
        throw new ValueError(
          `Layer "${this.name}": \`attention_mask\` must be a tensor of shape (batch, query positions, key ` +
            `positions). Received: ${Object.prototype.toString.call(given)}`,
        );
      }
      this.checkMaskShape(given.shape, scoresShape, this.resolvedAxes.length);
      mask = mask == null ? tf.cast(given, 'bool') : tf.logicalAnd(tf.cast(given, 'bool'), mask);
    }
    return mask;
  }

  /**
   * A mask must broadcast to the scores' shape without the heads axis, e.g. `[B, T, S]`. Unknown
   * dimensions (of a symbolic mask or scores) are taken to fit.
   */
  private checkMaskShape(maskShape: Shape, scoresShape: Shape, numAxes: number): void {
    const headAxis = scoresShape.length - 2 * numAxes - 1;
    const expected = scoresShape.filter((_, i) => i !== headAxis);
    const offset = expected.length - maskShape.length;
    const ok =
      offset >= 0 &&
      maskShape.every(
        (d, i) => d === 1 || d == null || expected[i + offset] == null || d === expected[i + offset],
      );
    if (!ok) {
      throw new ValueError(
        `Layer "${this.name}": \`attention_mask\` must broadcast to shape ${formatShape(expected)} ` +
          `(batch, query positions, key positions). Received: attention_mask.shape=${formatShape(maskShape)}`,
      );
    }
  }

  private maskedSoftmax(scores: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
    const normAxes = [...Array(this.resolvedAxes.length).keys()].map((i) => scores.rank - 1 - i).reverse();
    let expanded: tf.Tensor | null = null;
    let x = scores;
    if (mask) {
      const headAxis = scores.rank - 2 * this.resolvedAxes.length - 1;
      let m = mask;
      while (m.rank < scores.rank - 1) m = tf.expandDims(m, 0);
      m = tf.expandDims(m, headAxis);
      expanded = tf.cast(m, 'float32');
      // Keras's Softmax: masked positions get a large negative score, then zero probability.
      x = tf.add(x, tf.mul(tf.sub(1, expanded), -1e9));
    }
    let probs: tf.Tensor;
    if (normAxes.length === 1) probs = tf.softmax(x, -1);
    else probs = tf.exp(tf.sub(x, tf.logSumExp(x, normAxes, true)));
    return expanded ? tf.mul(probs, expanded) : probs;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor | tf.Tensor[] {
    if (!Array.isArray(inputs) || inputs.length < 2 || inputs.length > 3) {
      throw new ValueError(
        `Layer "${this.name}" (MultiHeadAttention) must be called on a list [query, value] or [query, value, key]. ` +
          `Received: ${Array.isArray(inputs) ? `a list of ${inputs.length} tensors` : `one tensor of shape ${formatShape(inputs.shape)}`}`,
      );
    }
    const [query, value, key = value] = inputs;
    const eq = this.equations!;
    const returnScores = Boolean(kwargs.returnAttentionScores);
    const training = kwargs.training ?? false;
    const seed = training && this.dropout > 0 ? this.seedGenerator.next() : undefined;
    // The projections run outside the tidy so that activity penalties they add survive it.
    const q = this.queryDense!.callWithActivityPenalty(query, kwargs) as tf.Tensor;
    const k = this.keyDense!.callWithActivityPenalty(key, kwargs) as tf.Tensor;
    const v = this.valueDense!.callWithActivityPenalty(value, kwargs) as tf.Tensor;
    const gate = this.gateDense ? (this.gateDense.callWithActivityPenalty(query, kwargs) as tf.Tensor) : null;
    let mixed: tf.Tensor;
    let scores: tf.Tensor;
    try {
      [mixed, scores] = tf.tidy(() => {
        const raw = einsum(eq.dotProduct, k, tf.mul(q, 1 / Math.sqrt(this.keyDim)));
        const mask = this.attentionMask(query, value, kwargs, raw.shape);
        const probs = this.maskedSoftmax(raw, mask);
        const dropped =
          training && this.dropout > 0 ? tf.dropout(probs, this.dropout, undefined, seed) : probs;
        const combined = einsum(eq.combine, dropped, v);
        return [gate ? tf.mul(combined, gate) : combined, probs];
      });
    } finally {
      tf.dispose([q, k, v]);
      if (gate) gate.dispose();
    }
    const output = this.outputDense!.callWithActivityPenalty(mixed, kwargs) as tf.Tensor;
    mixed.dispose();
    if (returnScores) return [output, scores];
    scores.dispose();
    return output;
  }

  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | null | (tf.Tensor | null)[],
  ): tf.Tensor | null | (tf.Tensor | null)[] {
    const queryMask = Array.isArray(mask) ? (mask[0] ?? null) : (mask ?? null);
    return queryMask;
  }

  override computeOutputShape(inputShape: Shape | Shape[], kwargs: ApplyKwargs = {}): Shape | Shape[] {
    const { query, value } = this.splitShapes(inputShape);
    const output = this.partialOutputShape
      ? [...query.slice(0, -1), ...this.partialOutputShape]
      : query.slice();
    if (!kwargs.returnAttentionScores) return output;
    return [output, this.scoresShape(query, value, this.axesFor(query.length + 1))];
  }

  /** The attention axes for projected tensors of `rank` (Keras's default: all but batch, heads and features). */
  private axesFor(rank: number): number[] {
    return this.attentionAxes == null
      ? [...Array(rank - 3).keys()].map((i) => i + 1)
      : this.attentionAxes.map((a) => (a >= 0 ? a : rank - 1 + a));
  }

  /** The scores' shape: batch axes, heads, the query's attention axes, then the value's. */
  private scoresShape(query: Shape, value: Shape, axes: number[]): Shape {
    const batchAxes = [...Array(query.length - 1).keys()].filter((i) => !axes.includes(i));
    return [
      ...batchAxes.map((i) => query[i]),
      this.numHeads,
      ...axes.map((i) => query[i]),
      ...axes.map((i) => value[i]),
    ];
  }

  protected override outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    return 'float32';
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.partialOutputShape,
      attentionAxes: this.attentionAxes,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: serializeRegularizer(this.projectionActivityRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
      seed: this.seed,
      useGate: this.useGate,
      slidingWindow: this.slidingWindow,
    };
  }
}

register('layer', 'MultiHeadAttention', MultiHeadAttention);
