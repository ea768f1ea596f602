import {
  Layer,
  type LayerArgs,
  NotImplementedError,
  type Shape,
  type SymbolicTensor,
  ValueError,
} from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

export interface IndexLookupArgs<T> extends LayerArgs {
  /** Largest vocabulary size, special tokens included; null for no limit. Default null. */
  maxTokens?: number | null;
  /** How many indices out-of-vocabulary tokens share; 0 (unknown tokens fail) or 1. Default 1. */
  numOovIndices?: number;
  /** Token that means padding (index 0); null for none. */
  maskToken?: T | null;
  /** Token that stands for out-of-vocabulary input in `getVocabulary()`. */
  oovToken?: T;
  /** A fixed vocabulary instead of `adapt`. */
  vocabulary?: T[] | null;
  /** Map indices back to tokens. Default false. */
  invert?: boolean;
  /** Only 'int' is supported. */
  outputMode?: 'int';
  padToMaxTokens?: boolean;
  sparse?: boolean;
  idfWeights?: number[] | null;
  /** Written by Keras's get_config; ignored. */
  vocabularySize?: number;
}

/**
 * The vocabulary logic shared by StringLookup, IntegerLookup and TextVectorization (Keras's
 * IndexLookup): index 0 is the mask token when there is one, then the OOV index, then the vocabulary.
 * Lookups run on the host (tokens are JS values), and the indices come back as an int32 tensor.
 */
export abstract class IndexLookup<T extends string | number> extends Layer {
  readonly maxTokens: number | null;
  readonly numOovIndices: number;
  readonly maskToken: T | null;
  readonly oovToken: T;
  readonly invert: boolean;
  readonly outputMode: 'int';
  readonly padToMaxTokens: boolean;
  readonly sparse: boolean;
  readonly inputVocabulary: T[] | null;
  private vocab: T[] = [];
  private index = new Map<T, number>();

  constructor(args: IndexLookupArgs<T>, defaultOov: T) {
    super(args);
    const maxTokens = args.maxTokens ?? null;
    if (maxTokens != null && !(Number.isInteger(maxTokens) && maxTokens > 1)) {
      throw new ValueError(
        `If set, \`max_tokens\` must be greater than 1. Received: max_tokens=${maxTokens}`,
      );
    }
    this.maxTokens = maxTokens;
    this.numOovIndices = args.numOovIndices ?? 1;
    if (this.numOovIndices !== 0 && this.numOovIndices !== 1) {
      throw new NotImplementedError(
        `Only num_oov_indices 0 or 1 are supported (Keras hashes tokens over several OOV indices with FarmHash). Received: num_oov_indices=${this.numOovIndices}`,
      );
    }
    this.maskToken = args.maskToken ?? null;
    this.oovToken = args.oovToken ?? defaultOov;
    this.invert = args.invert ?? false;
    this.outputMode = args.outputMode ?? 'int';
    if (this.outputMode !== 'int') {
      throw new NotImplementedError(
        `Only output_mode='int' is supported. Received: output_mode=${this.outputMode}`,
      );
    }
    this.padToMaxTokens = args.padToMaxTokens ?? false;
    this.sparse = args.sparse ?? false;
    if (args.idfWeights != null) {
      throw new NotImplementedError(
        '`idf_weights` is only used with output_mode="tf_idf", which is not supported.',
      );
    }
    this.inputVocabulary = args.vocabulary ? args.vocabulary.slice() : null;
    if (this.inputVocabulary) this.setVocabulary(this.inputVocabulary);
  }

  private tokenStart(): number {
    return (this.maskToken != null ? 1 : 0) + this.numOovIndices;
  }

  /** The whole vocabulary by index: mask token, OOV token, then the learned tokens. */
  getVocabulary(): T[] {
    const head: T[] = [];
    if (this.maskToken != null) head.push(this.maskToken);
    for (let i = 0; i < this.numOovIndices; i++) head.push(this.oovToken);
    return [...head, ...this.vocab];
  }

  vocabularySize(): number {
    return this.tokenStart() + this.vocab.length;
  }

  /** Sets the vocabulary; leading mask and OOV tokens (as `getVocabulary()` returns them) are accepted. */
  setVocabulary(vocabulary: T[]): void {
    let tokens = vocabulary.slice();
    if (this.maskToken != null && tokens[0] === this.maskToken) tokens = tokens.slice(1);
    if (this.numOovIndices > 0 && tokens[0] === this.oovToken) tokens = tokens.slice(1);
    const seen = new Set<T>();
    for (const t of tokens) {
      if (seen.has(t))
        throw new ValueError(
          `The passed vocabulary has at least one repeated term. Received: repeated term=${t}`,
        );
      if (t === this.maskToken || (this.numOovIndices > 0 && t === this.oovToken)) {
        throw new ValueError(
          `Found reserved tokens in \`vocabulary\` after the leading positions. Received: token=${JSON.stringify(t)}`,
        );
      }
      seen.add(t);
    }
    if (this.maxTokens != null && tokens.length + this.tokenStart() > this.maxTokens) {
      throw new ValueError(
        `Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size is ${tokens.length + this.tokenStart()}; \`max_tokens\` is ${this.maxTokens}.`,
      );
    }
    this.vocab = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i + this.tokenStart()]));
  }

  /**
   * Learns the vocabulary from tokens, most frequent first; ties go to the larger token, as Keras's
   * reversed lexicographic sort of (count, token) does.
   */
  adaptTokens(tokens: Iterable<T>): void {
    const counts = new Map<T, number>();
    for (const t of tokens) {
      if (t === this.maskToken || (this.numOovIndices > 0 && t === this.oovToken)) continue;
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    let sorted = [...counts.entries()].sort((a, b) =>
      b[1] !== a[1] ? b[1] - a[1] : a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0,
    );
    if (this.maxTokens != null) sorted = sorted.slice(0, this.maxTokens - this.tokenStart());
    this.setVocabulary(sorted.map(([t]) => t));
  }

  /** The index of one token. */
  lookup(token: T): number {
    if (this.maskToken != null && token === this.maskToken) return 0;
    const i = this.index.get(token);
    if (i !== undefined) return i;
    if (this.numOovIndices === 0) {
      throw new ValueError(
        `Layer "${this.name}" found a token outside its vocabulary and has num_oov_indices=0. Received: token=${JSON.stringify(token)}`,
      );
    }
    return this.maskToken != null ? 1 : 0;
  }

  /** The token of one index (for `invert`). */
  tokenAt(index: number): T {
    const vocab = this.getVocabulary();
    if (index >= 0 && index < vocab.length) return vocab[index];
    return this.oovToken;
  }

  protected override outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    return this.invert ? 'string' : 'int32';
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      invert: this.invert,
      maxTokens: this.maxTokens,
      numOovIndices: this.numOovIndices,
      oovToken: this.oovToken,
      maskToken: this.maskToken,
      outputMode: this.outputMode,
      sparse: this.sparse,
      padToMaxTokens: this.padToMaxTokens,
      idfWeights: null,
      // Keras writes the given vocabulary here and saves an adapted one as an asset; Strata writes the
      // current vocabulary so that an adapted layer survives a config round trip.
      vocabulary: this.vocab.length > 0 ? this.vocab.slice() : this.inputVocabulary,
      vocabularySize: this.vocabularySize(),
    };
  }
}

type Nested<T> = T | Nested<T>[];

/** The shape and flat values of nested JS arrays (rectangular). */
export function flattenNested<T>(x: Nested<T>[], what: string): { values: T[]; shape: number[] } {
  const shape: number[] = [];
  let level: unknown = x;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const values = (x as unknown[]).flat(shape.length) as T[];
  if (values.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new ValueError(
      `${what} must be a rectangular array. Received shape-inconsistent input of ${values.length} values.`,
    );
  }
  return { values, shape };
}
