import {
  type CallKwargs,
  Layer,
  type LayerArgs,
  NotImplementedError,
  register,
  type Shape,
  type SymbolicTensor,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { StringLookup } from './string-lookup.js';

export type Standardize =
  | 'lower_and_strip_punctuation'
  | 'lower'
  | 'strip_punctuation'
  | null
  | ((text: string) => string);
export type Split = 'whitespace' | 'character' | null | ((text: string) => string[]);

export interface TextVectorizationArgs extends LayerArgs {
  /** Largest vocabulary, '' and '[UNK]' included; null for no limit. */
  maxTokens?: number | null;
  /** Default 'lower_and_strip_punctuation'. */
  standardize?: Standardize;
  /** Default 'whitespace'. */
  split?: Split;
  /** Not supported; must be null. */
  ngrams?: number | null;
  /** Only 'int'. */
  outputMode?: 'int';
  /** Pad or truncate every sequence to this length; default: the longest in the batch. */
  outputSequenceLength?: number | null;
  padToMaxTokens?: boolean;
  /** A fixed vocabulary instead of `adapt`. */
  vocabulary?: string[] | null;
  sparse?: boolean;
  ragged?: boolean;
  idfWeights?: number[] | null;
  encoding?: string;
  /** Written by Keras's get_config; ignored. */
  vocabularySize?: number;
}

// Keras's default punctuation set (string.punctuation).
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;

/**
 * Turns raw strings into sequences of token indices (Keras's TextVectorization, output_mode 'int'):
 * standardize (lower-case, strip punctuation), split on whitespace, then look each token up in a
 * vocabulary whose index 0 is padding ('') and index 1 is out-of-vocabulary ('[UNK]').
 *
 * tfjs has no string kernels on most backends, so this layer works on JS strings on the host:
 * `apply(texts: string[])` returns an int32 tensor `[texts.length, length]`. Use it on raw data before
 * a model (then feed the ids to a model starting with Embedding); it cannot sit inside a compiled graph.
 *
 * ```ts
 * const vectorize = new TextVectorization({ outputSequenceLength: 4 });
 * vectorize.adapt(['the cat sat', 'the dog']);
 * vectorize.apply(['the cat ran']); // int32 [[2, 4, 1, 0]]
 * ```
 */
export class TextVectorization extends Layer {
  static override className = 'TextVectorization';
  readonly maxTokens: number | null;
  readonly standardize: Standardize;
  readonly split: Split;
  readonly outputMode: 'int';
  readonly outputSequenceLength: number | null;
  readonly padToMaxTokens: boolean;
  readonly sparse: boolean;
  readonly ragged: boolean;
  readonly encoding: string;
  private readonly lookupLayer: StringLookup;

  constructor(args: TextVectorizationArgs = {}) {
    super(args);
    this.standardize = args.standardize === undefined ? 'lower_and_strip_punctuation' : args.standardize;
    if (
      typeof this.standardize !== 'function' &&
      this.standardize !== null &&
      !['lower_and_strip_punctuation', 'lower', 'strip_punctuation'].includes(this.standardize)
    ) {
      throw new ValueError(
        `Invalid value for argument \`standardize\`. Expected one of ['lower_and_strip_punctuation', 'lower', 'strip_punctuation', None] or a callable. Received: standardize=${this.standardize}`,
      );
    }
    this.split = args.split === undefined ? 'whitespace' : args.split;
    if (
      typeof this.split !== 'function' &&
      this.split !== null &&
      !['whitespace', 'character'].includes(this.split)
    ) {
      throw new ValueError(
        `Invalid value for argument \`split\`. Expected one of ['whitespace', 'character', None] or a callable. Received: split=${this.split}`,
      );
    }
    if (args.ngrams != null)
      throw new NotImplementedError(`\`ngrams\` is not supported yet. Received: ngrams=${args.ngrams}`);
    this.outputMode = args.outputMode ?? 'int';
    if (this.outputMode !== 'int') {
      throw new NotImplementedError(
        `Only output_mode='int' is supported. Received: output_mode=${this.outputMode}`,
      );
    }
    const len = args.outputSequenceLength ?? null;
    if (len != null && !(Number.isInteger(len) && len > 0)) {
      throw new ValueError(
        `\`output_sequence_length\` must be either None or an integer greater than 0. Received: output_sequence_length=${len}`,
      );
    }
    this.outputSequenceLength = len;
    this.padToMaxTokens = args.padToMaxTokens ?? false;
    this.sparse = args.sparse ?? false;
    this.ragged = args.ragged ?? false;
    if (this.ragged || this.sparse)
      throw new NotImplementedError('Ragged and sparse outputs are not supported.');
    this.encoding = args.encoding ?? 'utf-8';
    this.maxTokens = args.maxTokens ?? null;
    this.lookupLayer = new StringLookup({
      name: `${this.name}_lookup`,
      maxTokens: this.maxTokens,
      maskToken: '',
      oovToken: '[UNK]',
      vocabulary: args.vocabulary ?? null,
      idfWeights: args.idfWeights ?? null,
    });
  }

  /** Standardizes and splits one string into tokens. */
  tokenize(text: string): string[] {
    let s = text;
    if (typeof this.standardize === 'function') s = this.standardize(s);
    else if (this.standardize === 'lower') s = s.toLowerCase();
    else if (this.standardize === 'strip_punctuation') s = s.replace(PUNCTUATION, '');
    else if (this.standardize === 'lower_and_strip_punctuation') s = s.toLowerCase().replace(PUNCTUATION, '');
    if (typeof this.split === 'function') return this.split(s);
    if (this.split === 'whitespace') return s.split(/\s+/).filter((t) => t.length > 0);
    if (this.split === 'character') return [...s];
    return [s];
  }

  private texts(data: unknown, where: string): string[] {
    const list = data instanceof tf.Tensor ? (data.arraySync() as unknown) : data;
    const flat = Array.isArray(list) ? list.flat(Number.POSITIVE_INFINITY) : [list];
    if (!flat.every((t) => typeof t === 'string')) {
      throw new ValueError(
        `${where} expects an array of strings. Received: ${JSON.stringify(flat.find((t) => typeof t !== 'string'))}`,
      );
    }
    return flat as string[];
  }

  /** Learns the vocabulary of `data` (an array of strings): most frequent tokens first. */
  adapt(data: string[] | string[][]): void {
    const texts = this.texts(data, `Layer "${this.name}" adapt()`);
    this.lookupLayer.adaptTokens(texts.flatMap((t) => this.tokenize(t)));
  }

  /** The vocabulary by index: '' (padding), '[UNK]', then the learned tokens. */
  getVocabulary(): string[] {
    return this.lookupLayer.getVocabulary();
  }

  setVocabulary(vocabulary: string[]): void {
    this.lookupLayer.setVocabulary(vocabulary);
  }

  vocabularySize(): number {
    return this.lookupLayer.vocabularySize();
  }

  /** Vectorizes strings: `string[]` (or a string tensor) in, int32 `[n, length]` out. */
  override apply(inputs: string[] | tf.Tensor | any, kwargs: CallKwargs = {}): any {
    if (Array.isArray(inputs) && inputs.every((t) => typeof t === 'string' || Array.isArray(t))) {
      return this.vectorize(this.texts(inputs, `Layer "${this.name}"`));
    }
    return super.apply(inputs, kwargs);
  }

  private vectorize(texts: string[]): tf.Tensor2D {
    const ids = texts.map((t) => this.tokenize(t).map((tok) => this.lookupLayer.lookup(tok)));
    const length = this.outputSequenceLength ?? Math.max(0, ...ids.map((r) => r.length));
    const flat = new Int32Array(texts.length * length);
    ids.forEach((row, i) => {
      flat.set(row.slice(0, length), i * length);
    });
    return tf.tensor2d(flat, [texts.length, length], 'int32');
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.vectorize(this.texts(x, `Layer "${this.name}"`));
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0] ?? null, this.outputSequenceLength];
  }

  protected override outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    return 'int32';
  }

  override getConfig(): Record<string, unknown> {
    const vocab = this.lookupLayer.getVocabulary().slice(2);
    return {
      ...super.getConfig(),
      maxTokens: this.maxTokens,
      standardize: typeof this.standardize === 'function' ? null : this.standardize,
      split: typeof this.split === 'function' ? null : this.split,
      ngrams: null,
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      padToMaxTokens: this.padToMaxTokens,
      sparse: this.sparse,
      ragged: this.ragged,
      // Keras saves an adapted vocabulary as an asset; Strata keeps it in the config so it round-trips.
      vocabulary: vocab.length > 0 ? vocab : null,
      idfWeights: null,
      encoding: this.encoding,
      vocabularySize: this.vocabularySize(),
    };
  }
}

register('layer', 'TextVectorization', TextVectorization);
