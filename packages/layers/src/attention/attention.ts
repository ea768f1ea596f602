import {
  type ApplyKwargs,
  type CallKwargs,
  formatShape,
  isShapeList,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  type SymbolicTensor,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { getInitializer } from '../initializers/index.js';

import { SeedGenerator, validateRate } from '../random/seed-generator.js';

/** Constructor arguments of `Attention`: Keras's arguments of the same names, in camelCase. */
export interface AttentionArgs extends LayerArgs {
  /** Learn a scalar that scales the scores. Default false. */
  useScale?: boolean;
  /** `'dot'` (query·key) or `'concat'` (sum of tanh(query + key)). Default 'dot'. */
  scoreMode?: 'dot' | 'concat';
  /** Dropout rate on the attention distribution. Default 0. */
  dropout?: number;
  /** Integer seed for the dropout. */
  seed?: number | null;
}

/** Keyword arguments of `call` (snake_case from files works too). */
export interface AttentionCallKwargs extends CallKwargs {
  /**
   * `[queryMask, valueMask]`, `[B, Tq]` and `[B, Tv]`, either may be null; 1 (or true) keeps a position.
   * Without it a graph passes its inputs' masks here. Applied to symbolic inputs, the masks may be
   * symbolic tensors (e.g. `input()`s), which then feed the call like its inputs.
   */
  mask?: (tf.Tensor | null)[] | null;
  /** Return `[output, scores]`. Default false. */
  returnAttentionScores?: boolean;
  /** Position i attends only to positions j <= i. Default false. */
  useCausalMask?: boolean;
}

/**
 * Dot-product (Luong-style) attention, as Keras's Attention. Inputs are a list `[query, value]` or
 * `[query, value, key]` of shapes `[B, Tq, dim]`, `[B, Tv, dim]`, `[B, Tv, dim]` (key defaults to
 * value); the output is `[B, Tq, dim]`: softmax(scores(query, key)) applied to value. Weights: `scale`
 * (scalar, with `useScale`) and `concat_score_weight` (scalar, with `scoreMode: 'concat'`).
 *
 * Masks: `mask: [queryMask, valueMask]` (`[B, Tq]`, `[B, Tv]`) keeps masked values out of the softmax
 * and zeroes the outputs of masked queries; in a functional model they may be symbolic tensors.
 *
 * Keras: `keras.layers.Attention`
 *
 * @example
 * ```ts
 * const query = tf.ones([2, 3, 4]);
 * const value = tf.ones([2, 5, 4]);
 * const out = new Attention().apply([query, value]); // shape [2, 3, 4]
 * const valueMask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], [2, 5], 'bool');
 * const masked = new Attention().apply([query, value], { mask: [null, valueMask] }); // shape [2, 3, 4]
 * ```
 */
export class Attention extends Layer {
  static override className = 'Attention';

  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  readonly dropout: number;
  readonly seed: number | null;
  scale: Variable | null = null;
  concatScoreWeight: Variable | null = null;
  protected readonly seedGenerator: SeedGenerator;

  constructor(args: AttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? this.defaultUseScale();
    this.scoreMode = args.scoreMode ?? 'dot';
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat') {
      throw new ValueError(
        `Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. Received: score_mode=${this.scoreMode}`,
      );
    }
    this.dropout = validateRate(args.dropout ?? 0);
    this.seed = args.seed ?? null;
    this.seedGenerator = new SeedGenerator(this.seed);
    this.supportsMasking = true;
  }

  protected defaultUseScale(): boolean {
    return false;
  }

  protected checkInputs(inputs: unknown[] | unknown, shapes: Shape[] | null): void {
    const cls = this.getClassName();
    if (!Array.isArray(inputs)) {
      throw new ValueError(
        `${cls} layer must be called on a list of inputs, namely [query, value] or [query, value, key]. ` +
          `Received: inputs=${shapes ? formatShape(shapes[0]) : String(inputs)}.`,
      );
    }
    if (inputs.length < 2 || inputs.length > 3) {
      throw new ValueError(
        `${cls} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. ` +
          `Received length: ${inputs.length}.`,
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    if (!isShapeList(inputShape)) this.checkInputs(inputShape, [inputShape as Shape]);
    else this.checkInputs(inputShape, inputShape);
    if (this.useScale)
      this.scale = this.addWeight('scale', { shape: [], initializer: getInitializer('ones') });
    if (this.scoreMode === 'concat') {
      this.concatScoreWeight = this.addWeight('concat_score_weight', {
        shape: [],
        initializer: getInitializer('ones'),
      });
    }
    super.build(inputShape);
  }

  /** Scores `[B, Tq, Tv]` from query `[B, Tq, dim]` and key `[B, Tv, dim]`. */
  protected calculateScores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    if (this.scoreMode === 'dot') {
      const scores = tf.matMul(query, key, false, true);
      return this.scale ? tf.mul(scores, this.scale.value) : scores;
    }
    let sum = tf.add(tf.expandDims(query, -2), tf.expandDims(key, -3));
    if (this.scale) sum = tf.mul(this.scale.value, sum);
    return tf.mul(this.concatScoreWeight!.value, tf.sum(tf.tanh(sum), -1));
  }

  /** Checks the mask list and each mask's shape against its input's (unknown dimensions fit anything). */
  protected checkMasks(mask: unknown, query: Shape, value: Shape): (tf.Tensor | null)[] | null {
    if (mask == null) return null;
    const cls = this.getClassName();
    if (!Array.isArray(mask)) {
      const shape = (mask as { shape?: Shape }).shape;
      throw new ValueError(
        `${cls} layer mask must be a list, namely [query_mask, value_mask]. Received: mask=${shape ? `tensor of shape ${formatShape(shape)}` : String(mask)}.`,
      );
    }
    if (mask.length < 2 || mask.length > 3) {
      throw new ValueError(
        `${cls} layer accepts mask list of length 2 or 3. Received: a mask list of length ${mask.length}.`,
      );
    }
    const expect = (m: unknown, what: string, expected: Shape) => {
      if (m == null) return;
      const shape = (m as { shape?: Shape }).shape;
      const fits =
        shape != null &&
        shape.length === expected.length &&
        shape.every((d, i) => d == null || expected[i] == null || d === expected[i]);
      if (!fits) {
        throw new ValueError(
          `Layer "${this.name}" (${cls}): the ${what} mask must have shape ${formatShape(expected)} (the ${what}'s ` +
            `shape without its last axis). Received: ${what}_mask.shape=${shape ? formatShape(shape) : String(m)}`,
        );
      }
    };
    expect(mask[0], 'query', query.slice(0, -1));
    expect(mask[1], 'value', value.slice(0, -1));
    return mask as (tf.Tensor | null)[];
  }

  protected override checkSymbolicCall(inputs: SymbolicTensor[], kwargs: ApplyKwargs): void {
    if (inputs.length >= 2) this.checkMasks(kwargs.mask, inputs[0].shape, inputs[1].shape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor | tf.Tensor[] {
    this.checkInputs(inputs, Array.isArray(inputs) ? null : [inputs.shape]);
    const [query, value, key = value] = inputs as tf.Tensor[];
    const masks = this.checkMasks(kwargs.mask, query.shape, value.shape);
    const [queryMask = null, valueMask = null] = masks ?? [];
    const training = kwargs.training ?? false;
    const seed = training && this.dropout > 0 ? this.seedGenerator.next() : undefined;
    const returnScores = Boolean(kwargs.returnAttentionScores);
    const [output, weights] = tf.tidy(() => {
      let scores = this.calculateScores(query, key);
      let scoresMask: tf.Tensor | null = valueMask ? tf.expandDims(tf.cast(valueMask, 'bool'), -2) : null;
      if (kwargs.useCausalMask) {
        const [tq, tv] = scores.shape.slice(-2) as [number, number];
        const rows = tf.reshape(tf.range(0, tq, 1, 'int32'), [1, tq, 1]);
        const cols = tf.reshape(tf.range(0, tv, 1, 'int32'), [1, 1, tv]);
        const causal = tf.greaterEqual(rows, cols);
        scoresMask = scoresMask ? tf.logicalAnd(scoresMask, causal) : causal;
      }
      if (scoresMask) {
        // Masked positions get a large negative score, so they take no share of the softmax.
        scores = tf.sub(scores, tf.mul(1e9, tf.cast(tf.logicalNot(scoresMask), 'float32')));
      }
      const distribution = tf.softmax(scores, -1);
      const used =
        training && this.dropout > 0 ? tf.dropout(distribution, this.dropout, undefined, seed) : distribution;
      let result = tf.matMul(used, value);
      if (queryMask) result = tf.mul(result, tf.expandDims(tf.cast(queryMask, 'float32'), -1));
      return [result, distribution];
    });
    if (returnScores) return [output, weights];
    weights.dispose();
    return output;
  }

  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | null | (tf.Tensor | null)[],
  ): tf.Tensor | null {
    return Array.isArray(mask) ? (mask[0] ?? null) : null;
  }

  override computeOutputShape(inputShape: Shape | Shape[], kwargs: ApplyKwargs = {}): Shape | Shape[] {
    if (!isShapeList(inputShape)) {
      this.checkInputs(inputShape, [inputShape as Shape]);
      return inputShape;
    }
    const [query, value] = inputShape;
    const output: Shape = [...query.slice(0, -1), value[value.length - 1]];
    if (!kwargs.returnAttentionScores) return output;
    return [output, [...query.slice(0, -1), value[1]]];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      useScale: this.useScale,
      scoreMode: this.scoreMode,
      dropout: this.dropout,
      seed: this.seed,
    };
  }
}

register('layer', 'Attention', Attention);
