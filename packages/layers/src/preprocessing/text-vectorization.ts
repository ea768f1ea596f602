import {
  type CallKwargs,
  isSymbolic,
  type KerasStateArray,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  type SymbolicTensor,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { flattenNested, type LookupOutputMode, resolveOutputMode } from './index-lookup.js';
import { StringLookup } from './string-lookup.js';

/** How `TextVectorization` standardizes text before splitting: Keras's `standardize` argument. */
export type Standardize =
  | 'lower_and_strip_punctuation'
  | 'lower'
  | 'strip_punctuation'
  | null
  | ((text: string) => string);
/** How `TextVectorization` splits strings into tokens: Keras's `split` argument. */
export type Split = 'whitespace' | 'character' | null | ((text: string) => string[]);

/** Constructor arguments of `TextVectorization`: Keras's arguments of the same names, in camelCase. */
export interface TextVectorizationArgs extends LayerArgs {
  /** Largest vocabulary, special tokens included ('' and '[UNK]' in 'int' mode, '[UNK]' otherwise); null for no limit. */
  maxTokens?: number | null;
  /** Default 'lower_and_strip_punctuation'. Lower-casing is ASCII-only, as TensorFlow's. */
  standardize?: Standardize;
  /** Default 'whitespace' (ASCII whitespace, as TensorFlow's). */
  split?: Split;
  /**
   * n-grams to add after splitting: n gives widths 1..n, a list gives exactly those widths. Tokens of an
   * n-gram are joined by one space. Default null (tokens only).
   */
  ngrams?: number | number[] | null;
  /** 'int' (default), 'multi_hot', 'count', 'tf_idf', or 'one_hot' (only without `split`). */
  outputMode?: LookupOutputMode | 'binary' | 'tf-idf';
  /** 'int' mode: pad or truncate every sequence to this length; default: the longest in the batch. */
  outputSequenceLength?: number | null;
  /** Non-int modes: make the output `maxTokens` wide. Default false. */
  padToMaxTokens?: boolean;
  /** A fixed vocabulary instead of `adapt`. */
  vocabulary?: string[] | null;
  /** 'tf_idf' with a fixed `vocabulary`: one inverse document frequency per vocabulary entry. */
  idfWeights?: number[] | null;
  /** Sparse and ragged outputs need Keras's TensorFlow backend; must be false. */
  sparse?: boolean;
  ragged?: boolean;
  encoding?: string;
  /** The vocabulary size recorded in a saved config: the output depth before the vocabulary is loaded. */
  vocabularySize?: number | null;
}

// Keras's default punctuation set (string.punctuation).
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
// TensorFlow splits on ASCII whitespace only, and lower-cases ASCII only.
const WHITESPACE = /[ \t\n\v\f\r]+/;
const lowerAscii = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/**
 * Turns raw strings into token indices or bag-of-token vectors (Keras's TextVectorization): standardize
 * (lower-case, strip punctuation), split on whitespace, add `ngrams`, then look each token up in a
 * vocabulary. In 'int' mode index 0 is padding ('') and 1 is out-of-vocabulary ('[UNK]'), and
 * `apply(texts)` returns int32 `[texts.length, length]`; 'multi_hot', 'count' and 'tf_idf' return
 * float32 `[texts.length, vocabularySize()]` (`maxTokens` wide with `padToMaxTokens`), with '[UNK]' at
 * column 0. `adapt` learns the vocabulary, most frequent first, and in 'tf_idf' mode each token's idf
 * weight ln(1 + texts / (1 + texts containing it)).
 *
 * tfjs has no string kernels on most backends, so this layer works on JS strings on the host. It can
 * start a functional model on a string input (`input({ shape: [1], dtype: 'string' })`), as in Keras.
 *
 * Keras: `keras.layers.TextVectorization`
 *
 * @example
 * ```ts
 * const vectorize = new TextVectorization({ outputSequenceLength: 4 });
 * vectorize.adapt(['the cat sat', 'the dog']);
 * vectorize.apply(['the cat ran']); // int32 [[2, 4, 1, 0]]
 * const bags = new TextVectorization({ outputMode: 'multi_hot', ngrams: 2 });
 * bags.adapt(['the cat sat', 'the dog']);
 * // Vocabulary: '[UNK]', 'the', 'the dog', 'the cat', 'sat', 'dog', 'cat sat', 'cat'.
 * bags.apply(['the cat']); // float32 [[0, 1, 0, 1, 0, 0, 0, 1]]
 * ```
 */
export class TextVectorization extends Layer {
  static override className = 'TextVectorization';
  readonly maxTokens: number | null;
  readonly standardize: Standardize;
  readonly split: Split;
  /** `ngrams` as given; `ngramWidths` is what it means. */
  readonly ngrams: number | number[] | null;
  readonly ngramWidths: number[] | null;
  readonly outputMode: LookupOutputMode;
  readonly outputSequenceLength: number | null;
  readonly padToMaxTokens: boolean;
  readonly sparse: boolean;
  readonly ragged: boolean;
  readonly encoding: string;
  private readonly lookupLayer: StringLookup;

  constructor(args: TextVectorizationArgs = {}) {
    super(args);
    this.sparse = args.sparse ?? false;
    this.ragged = args.ragged ?? false;
    if (this.sparse) throw new ValueError('`sparse=True` can only be used with the TensorFlow backend.');
    if (this.ragged) throw new ValueError('`ragged=True` can only be used with the TensorFlow backend.');
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
    this.outputMode = resolveOutputMode(args.outputMode, 'TextVectorization');
    const ngrams = args.ngrams ?? null;
    const isWidth = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
    if (!(ngrams === null || isWidth(ngrams) || (Array.isArray(ngrams) && ngrams.every(isWidth)))) {
      throw new ValueError(
        `\`ngrams\` must be None, an integer, or a tuple of integers. Received: ngrams=${JSON.stringify(ngrams)}`,
      );
    }
    this.ngrams = Array.isArray(ngrams) ? ngrams.slice() : ngrams;
    this.ngramWidths =
      ngrams === null
        ? null
        : Array.isArray(ngrams)
          ? ngrams.slice()
          : Array.from({ length: ngrams }, (_, i) => i + 1);
    const len = args.outputSequenceLength ?? null;
    if (this.outputMode === 'int' && len != null && !(Number.isInteger(len) && len > 0)) {
      throw new ValueError(
        `\`output_sequence_length\` must be either None or an integer greater than 0. Received: output_sequence_length=${len}`,
      );
    }
    if (this.outputMode !== 'int' && len != null) {
      throw new ValueError(
        `\`output_sequence_length\` must not be set if \`output_mode\` is not 'int'. Received output_sequence_length=${len}.`,
      );
    }
    this.outputSequenceLength = len;
    this.padToMaxTokens = args.padToMaxTokens ?? false;
    this.encoding = args.encoding ?? 'utf-8';
    this.maxTokens = args.maxTokens ?? null;
    this.lookupLayer = new StringLookup({
      name: `${this.name}_lookup`,
      maxTokens: this.maxTokens,
      maskToken: '',
      oovToken: '[UNK]',
      vocabulary: args.vocabulary ?? null,
      idfWeights: args.idfWeights ?? null,
      outputMode: this.outputMode,
      padToMaxTokens: this.padToMaxTokens,
      encoding: this.encoding,
      vocabularySize: args.vocabularySize ?? null,
    });
  }

  /** Standardizes and splits one string into tokens (before n-grams). */
  tokenize(text: string): string[] {
    const s = this.standardizeText(text);
    if (typeof this.split === 'function') return this.split(s);
    if (this.split === 'whitespace') return s.split(WHITESPACE).filter((t) => t.length > 0);
    if (this.split === 'character') return [...s];
    return [s];
  }

  private standardizeText(text: string): string {
    let s = text;
    if (this.standardize === 'lower' || this.standardize === 'lower_and_strip_punctuation') s = lowerAscii(s);
    if (this.standardize === 'strip_punctuation' || this.standardize === 'lower_and_strip_punctuation')
      s = s.replace(PUNCTUATION, '');
    if (typeof this.standardize === 'function') s = this.standardize(s);
    return s;
  }

  /** A token sequence with its n-grams: all n-grams of the first width, then the next width, … */
  private withNgrams(tokens: string[]): string[] {
    if (!this.ngramWidths) return tokens;
    const out: string[] = [];
    for (const n of this.ngramWidths) {
      for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
    }
    return out;
  }

  /**
   * The token sequences of an input and whether they form a batch. With a `split`, each string of a
   * `[batch]` or `[batch, 1]` input is one sequence; without one, the last axis is the sequence, so a
   * `[batch]` input is a single sequence, as in Keras.
   */
  private sequences(data: unknown, where: string): { rows: string[][]; batched: boolean; shape: number[] } {
    let values: unknown[];
    let shape: number[];
    if (data instanceof tf.Tensor) {
      if (data.dtype !== 'string') {
        throw new ValueError(
          `${where} expects strings. Received: a ${data.dtype} tensor of shape [${data.shape}]`,
        );
      }
      shape = data.shape;
      values = data.rank === 0 ? [data.arraySync()] : (data.arraySync() as unknown[]).flat(data.rank);
    } else if (typeof data === 'string') {
      shape = [];
      values = [data];
    } else {
      ({ values, shape } = flattenNested<unknown>(data as unknown[], where));
    }
    const bad = values.find((t) => typeof t !== 'string');
    if (bad !== undefined) throw new ValueError(`${where} expects strings. Received: ${JSON.stringify(bad)}`);
    const texts = values as string[];
    if (this.split !== null) {
      if (shape.length > 1 && shape[shape.length - 1] !== 1) {
        throw new ValueError(
          `${where}: when using \`TextVectorization\` to tokenize strings, the input rank must be 1 or the last ` +
            `shape dimension must be 1. Received: inputs.shape=[${shape.join(', ')}] with rank=${shape.length}`,
        );
      }
      if (shape.length > 2) {
        throw new ValueError(
          `${where} expects strings of shape [batch] or [batch, 1]. Received: shape [${shape}]`,
        );
      }
      const rows = texts.map((t) => this.withNgrams(this.tokenize(t)));
      return { rows, batched: shape.length > 0, shape };
    }
    if (shape.length > 2) {
      throw new ValueError(`${where} expects strings of shape [batch, n] or [n]. Received: shape [${shape}]`);
    }
    const std = texts.map((t) => this.standardizeText(t));
    if (shape.length < 2) return { rows: [this.withNgrams(std)], batched: false, shape };
    const [n, m] = shape;
    const rows = Array.from({ length: n }, (_, r) => this.withNgrams(std.slice(r * m, (r + 1) * m)));
    return { rows, batched: true, shape };
  }

  /**
   * Learns the vocabulary of `data` (strings): most frequent tokens first. Each string (or row of a
   * `[batch, n]` array without `split`) is one document for 'tf_idf'.
   */
  adapt(data: string[] | string[][] | tf.Tensor): void {
    const where = `Layer "${this.name}" adapt()`;
    let input: unknown = data;
    // Keras reads a flat list of texts as a column: one text per document.
    if (Array.isArray(data) && data.every((t) => typeof t === 'string')) input = data.map((t) => [t]);
    else if (data instanceof tf.Tensor && data.rank === 1)
      input = (data.arraySync() as unknown as string[]).map((t) => [t]);
    const { rows } = this.sequences(input, where);
    this.lookupLayer.adaptDocuments(rows);
  }

  /** The vocabulary by index: in 'int' mode '' (padding) and '[UNK]', otherwise '[UNK]', then the learned tokens. */
  getVocabulary(includeSpecialTokens = true): string[] {
    return this.lookupLayer.getVocabulary(includeSpecialTokens);
  }

  setVocabulary(vocabulary: string[], idfWeights?: number[] | Float32Array | null): void {
    this.lookupLayer.setVocabulary(vocabulary, idfWeights);
  }

  vocabularySize(): number {
    return this.lookupLayer.vocabularySize();
  }

  /** The idf weight of each output column ('tf_idf' mode). */
  get idfWeights(): Float32Array | null {
    return this.lookupLayer.idfWeights;
  }

  /** Vectorizes strings: `string[]` (or a string tensor) in; int32 `[n, length]` or float32 `[n, depth]` out. */
  override apply(inputs: string[] | tf.Tensor | any, kwargs: CallKwargs = {}): any {
    const plain = Array.isArray(inputs) && !inputs.some((t) => t instanceof tf.Tensor || isSymbolic(t));
    if (plain || typeof inputs === 'string') return this.vectorize(inputs);
    return super.apply(inputs, kwargs);
  }

  private vectorize(data: unknown): tf.Tensor {
    const { rows, batched, shape } = this.sequences(data, `Layer "${this.name}"`);
    const ids = this.lookupLayer.lookupRows(rows);
    if (this.outputMode === 'int') {
      const length = this.outputSequenceLength ?? Math.max(0, ...ids.map((r) => r.length));
      const flat = new Int32Array(ids.length * length);
      ids.forEach((row, i) => {
        flat.set(row.subarray(0, length), i * length);
      });
      return batched ? tf.tensor2d(flat, [ids.length, length], 'int32') : tf.tensor1d(flat, 'int32');
    }
    if (this.outputMode === 'one_hot') {
      if (this.split !== null) {
        throw new ValueError(
          `Layer "${this.name}": output_mode='one_hot' with a \`split\` gives one row per token, a ragged output ` +
            "that Keras 3 supports only on its TensorFlow backend. Use split=null, or output_mode 'multi_hot' or 'count'.",
        );
      }
      const width = ids[0]?.length ?? 0;
      const flat = new Int32Array(ids.length * width);
      ids.forEach((row, i) => {
        flat.set(row, i * width);
      });
      return this.lookupLayer.encodeOneHot(
        flat,
        batched ? [ids.length, width] : shape.length === 0 ? [] : [width],
      );
    }
    return this.lookupLayer.encodeBags(ids, batched);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.vectorize(x);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const batch = inputShape[0] ?? null;
    if (this.outputMode === 'int') return [batch, this.outputSequenceLength];
    // With a split, each string becomes a sequence of tokens: [batch, tokens] goes to the lookup.
    if (this.split !== null)
      return this.lookupLayer.computeOutputShape(inputShape.length === 0 ? [null] : [batch, null]);
    return this.lookupLayer.computeOutputShape(inputShape);
  }

  protected override outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    return this.outputMode === 'int' ? 'int32' : 'float32';
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      maxTokens: this.maxTokens,
      standardize: typeof this.standardize === 'function' ? null : this.standardize,
      split: typeof this.split === 'function' ? null : this.split,
      ngrams: Array.isArray(this.ngrams) ? this.ngrams.slice() : this.ngrams,
      outputMode: this.outputMode,
      outputSequenceLength: this.outputSequenceLength,
      padToMaxTokens: this.padToMaxTokens,
      sparse: this.sparse,
      ragged: this.ragged,
      // Keras records only a vocabulary given to the constructor; an adapted one is saved as an asset.
      vocabulary: this.lookupLayer.inputVocabulary ? this.lookupLayer.inputVocabulary.slice() : null,
      idfWeights: this.lookupLayer.inputIdfWeights ? this.lookupLayer.inputIdfWeights.slice() : null,
      encoding: this.encoding,
      vocabularySize: this.vocabularySize(),
    };
  }

  // ---- Keras saving: Keras saves the lookup layer's state both here and under `_lookup_layer` ----------

  override kerasSaveChildren(): Record<string, Layer> {
    return { _lookup_layer: this.lookupLayer };
  }

  override kerasSaveState(): Record<string, KerasStateArray> {
    return this.lookupLayer.kerasSaveState();
  }

  override kerasLoadState(state: Record<string, KerasStateArray>): void {
    this.lookupLayer.kerasLoadState(state);
  }

  override kerasSaveAssets(): Record<string, Uint8Array> {
    return this.lookupLayer.kerasSaveAssets();
  }

  override kerasLoadAssets(files: Record<string, Uint8Array>, where = ''): void {
    this.lookupLayer.kerasLoadAssets(files, where);
  }

  override kerasInlineAssets(): Record<string, unknown> {
    return this.lookupLayer.kerasInlineAssets();
  }
}

register('layer', 'TextVectorization', TextVectorization);
