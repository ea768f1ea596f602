import {
  type KerasStateArray,
  Layer,
  type LayerArgs,
  NotImplementedError,
  RuntimeError,
  type Shape,
  type SymbolicTensor,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** How a lookup layer encodes its output: Keras's `output_mode` argument. */
export type LookupOutputMode = 'int' | 'one_hot' | 'multi_hot' | 'count' | 'tf_idf';

/** Constructor arguments of `IndexLookup`: Keras's arguments of the same names, in camelCase. */
export interface IndexLookupArgs<T> extends LayerArgs {
  /** Largest vocabulary size, special tokens included; null for no limit. Default null. */
  maxTokens?: number | null;
  /**
   * How many indices out-of-vocabulary tokens share. 0 makes unknown tokens an error; IntegerLookup spreads
   * them over several indices by `value mod numOovIndices`. Default 1.
   */
  numOovIndices?: number;
  /** Token that means padding (index 0 in 'int' mode, no column in the other modes); null for none. */
  maskToken?: T | null;
  /** Token that stands for out-of-vocabulary input in `getVocabulary()` and in `invert` output. */
  oovToken?: T;
  /** A fixed vocabulary instead of `adapt`. */
  vocabulary?: T[] | null;
  /** Inverse document frequencies for 'tf_idf' with a given `vocabulary` (one per vocabulary entry). */
  idfWeights?: number[] | null;
  /** Map indices back to tokens ('int' mode only). Default false. */
  invert?: boolean;
  /**
   * 'int' (indices, default), 'one_hot' (one row per input element), 'multi_hot' (1 where a token occurs in
   * a sample), 'count' (how often it occurs) or 'tf_idf' (count × idf weight). The last three treat the
   * last input axis as the sample's tokens. Non-int outputs are float32 with depth `vocabularySize()`, or
   * `maxTokens` with `padToMaxTokens`.
   */
  outputMode?: LookupOutputMode | 'binary' | 'tf-idf';
  /** Make non-int outputs `maxTokens` wide whatever the vocabulary's size. Default false. */
  padToMaxTokens?: boolean;
  /** Sparse outputs need Keras's TensorFlow backend; must be false. */
  sparse?: boolean;
  /** How IntegerLookup picks among several OOV indices: 'floormod' (default); 'farmhash' is not supported. */
  oovMethod?: 'floormod' | 'farmhash';
  /** Hash key for 'farmhash'; kept in the config. */
  salt?: number | [number, number] | null;
  /** The vocabulary size recorded in a saved config: the output depth before the vocabulary is loaded. */
  vocabularySize?: number | null;
}

const OUTPUT_MODES: LookupOutputMode[] = ['int', 'one_hot', 'multi_hot', 'count', 'tf_idf'];

/** Keras's output_mode check, with its deprecated spellings 'binary' and 'tf-idf'. */
export function resolveOutputMode(mode: string | undefined, caller: string): LookupOutputMode {
  let m = mode ?? 'int';
  if (m === 'binary') m = 'multi_hot';
  if (m === 'tf-idf') m = 'tf_idf';
  if (!(OUTPUT_MODES as string[]).includes(m)) {
    throw new ValueError(
      `Unknown value for \`output_mode\` argument of ${caller}. Allowed values are: ` +
        `('int', 'one_hot', 'multi_hot', 'count', 'tf_idf'). Received: output_mode=${m}`,
    );
  }
  return m as LookupOutputMode;
}

/** Python's `str.splitlines` boundaries, which Keras uses to read a vocabulary file. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's line boundaries include control characters
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/**
 * Orders tokens as numpy sorts TensorFlow's values: numbers numerically, strings by their UTF-8 bytes,
 * which is code point order (a surrogate pair sorts after every character of the basic plane).
 */
function compareTokens(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const cx = x.charCodeAt(i);
    const cy = y.charCodeAt(i);
    if (cx !== cy) {
      const sx = cx >= 0xd800 && cx <= 0xdfff;
      const sy = cy >= 0xd800 && cy <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return cx - cy;
    }
  }
  return x.length - y.length;
}

function show(token: unknown): string {
  return JSON.stringify(token);
}

/**
 * The vocabulary logic shared by StringLookup, IntegerLookup and TextVectorization (Keras's IndexLookup).
 * In 'int' mode index 0 is the mask token when there is one, then come the OOV indices, then the
 * vocabulary; the other modes give the mask token no index. Lookups run on the host (tokens are JS
 * values); indices come back as an int32 tensor, encoded outputs as float32.
 *
 * Keras: `keras.src.layers.preprocessing.index_lookup.IndexLookup`
 *
 * @example
 * ```ts
 * // The base of StringLookup and IntegerLookup.
 * const lookup = new StringLookup({ vocabulary: ['a', 'b'] });
 * lookup instanceof IndexLookup; // true
 * lookup.apply(['a', 'c', 'b']); // shape [3]
 * ```
 */
export abstract class IndexLookup<T extends string | number> extends Layer {
  readonly maxTokens: number | null;
  readonly numOovIndices: number;
  readonly maskToken: T | null;
  readonly oovToken: T;
  readonly invert: boolean;
  readonly outputMode: LookupOutputMode;
  readonly padToMaxTokens: boolean;
  readonly sparse: boolean;
  readonly oovMethod: 'floormod' | 'farmhash';
  readonly salt: [number, number] | null;
  /** The vocabulary given to the constructor (what the config records), or null when adapted. */
  readonly inputVocabulary: T[] | null;
  readonly inputIdfWeights: number[] | null;
  private readonly hasInputVocabulary: boolean;
  private tokens: T[] = [];
  private index = new Map<T, number>();
  private idf: Float32Array | null = null;
  private frozenVocabSize: number | null;

  constructor(args: IndexLookupArgs<T>, defaultOov: T) {
    super(args);
    const maxTokens = args.maxTokens ?? null;
    if (maxTokens != null && !(Number.isInteger(maxTokens) && maxTokens > 1)) {
      throw new ValueError(
        `If set, \`max_tokens\` must be greater than 1. Received: max_tokens=${maxTokens}`,
      );
    }
    this.maxTokens = maxTokens;
    this.padToMaxTokens = args.padToMaxTokens ?? false;
    if (this.padToMaxTokens && maxTokens == null) {
      throw new ValueError(
        `If pad_to_max_tokens is True, must set \`max_tokens\`. Received: max_tokens=${maxTokens}`,
      );
    }
    const numOov = args.numOovIndices ?? 1;
    if (!(Number.isInteger(numOov) && numOov >= 0)) {
      throw new ValueError(
        `\`num_oov_indices\` must be greater than or equal to 0. Received: num_oov_indices=${numOov}`,
      );
    }
    this.numOovIndices = numOov;
    this.oovMethod = args.oovMethod ?? 'floormod';
    if (this.oovMethod !== 'floormod' && this.oovMethod !== 'farmhash') {
      throw new ValueError(
        `Unknown value for \`oov_method\` argument of ${this.getClassName()}. Allowed values are: ` +
          `('floormod', 'farmhash'). Received: oov_method=${this.oovMethod}`,
      );
    }
    const integerVocabulary = typeof defaultOov === 'number';
    const salt = args.salt ?? null;
    if (salt != null && integerVocabulary && this.oovMethod !== 'farmhash') {
      throw new ValueError(
        `\`salt\` can only be used when \`oov_method='farmhash'\`. Received: oov_method=${this.oovMethod}`,
      );
    }
    if (salt == null) this.salt = null;
    else if (Array.isArray(salt) && salt.length === 2) this.salt = [salt[0], salt[1]];
    else if (Number.isInteger(salt)) this.salt = [salt as number, salt as number];
    else {
      throw new ValueError(
        `The \`salt\` argument for \`IndexLookup\` can only be a tuple of 2 integers, or a single integer. Received: salt=${show(salt)}.`,
      );
    }
    // Keras hashes strings (and, with 'farmhash', integers) over several OOV indices with FarmHash64.
    if (numOov > 1 && (!integerVocabulary || this.oovMethod === 'farmhash')) {
      throw new NotImplementedError(
        `More than one OOV index needs FarmHash, which Strata does not implement` +
          `${integerVocabulary ? " (use oov_method='floormod')" : ''}. Received: num_oov_indices=${numOov}`,
      );
    }
    this.outputMode = resolveOutputMode(args.outputMode, this.getClassName());
    this.invert = args.invert ?? false;
    if (this.invert && this.outputMode !== 'int') {
      throw new ValueError(
        `\`output_mode\` must be \`'int'\` when \`invert\` is true. Received: output_mode=${this.outputMode}`,
      );
    }
    this.sparse = args.sparse ?? false;
    if (this.sparse && this.outputMode === 'int') {
      throw new ValueError(
        "`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, `'count'` or `'tf_idf'`. " +
          `Received: sparse=${this.sparse} and output_mode=${this.outputMode}`,
      );
    }
    if (this.sparse) throw new ValueError('`sparse=True` can only be used with the TensorFlow backend.');
    const idfWeights = args.idfWeights ?? null;
    if (idfWeights != null && this.outputMode !== 'tf_idf') {
      throw new ValueError(
        "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. " +
          `Received: idf_weights=${show(idfWeights)} and output_mode=${this.outputMode}`,
      );
    }
    this.maskToken = args.maskToken ?? null;
    this.oovToken = args.oovToken ?? defaultOov;
    this.frozenVocabSize = args.vocabularySize ?? null;
    this.inputVocabulary = args.vocabulary ? args.vocabulary.slice() : null;
    this.inputIdfWeights = idfWeights ? idfWeights.slice() : null;
    this.hasInputVocabulary = this.inputVocabulary != null;
    if (this.outputMode === 'tf_idf' && this.hasInputVocabulary && idfWeights == null) {
      throw new ValueError(
        'When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` argument must also be provided.',
      );
    }
    if (this.inputVocabulary) this.setVocabulary(this.inputVocabulary, idfWeights);
  }

  /** The first OOV index: 1 after a mask token in 'int' mode, else 0. */
  private oovStartIndex(): number {
    return this.maskToken != null && this.outputMode === 'int' ? 1 : 0;
  }

  private tokenStartIndex(): number {
    return this.oovStartIndex() + this.numOovIndices;
  }

  /**
   * The vocabulary by index: in 'int' mode the mask token, then the OOV token once per OOV index, then the
   * learned tokens. Without special tokens, just the learned tokens.
   */
  getVocabulary(includeSpecialTokens = true): T[] {
    if (!includeSpecialTokens) return this.tokens.slice();
    const head: T[] = [];
    if (this.oovStartIndex() === 1) head.push(this.maskToken as T);
    for (let i = 0; i < this.numOovIndices; i++) head.push(this.oovToken);
    return [...head, ...this.tokens];
  }

  /** The vocabulary's size, mask and OOV indices included. */
  vocabularySize(): number {
    return this.tokenStartIndex() + this.tokens.length;
  }

  /** The idf weight of each output column ('tf_idf' mode), or null before there is a vocabulary. */
  get idfWeights(): Float32Array | null {
    return this.idf ? this.idf.slice() : null;
  }

  /**
   * Sets the vocabulary (and, in 'tf_idf' mode, its idf weights). Leading mask and OOV tokens, exactly as
   * `getVocabulary()` returns them, are accepted; without them the OOV indices get the mean idf weight.
   */
  setVocabulary(vocabulary: T[], idfWeights?: number[] | Float32Array | null): void {
    if (this.outputMode === 'tf_idf') {
      if (idfWeights == null) throw new ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.");
    } else if (idfWeights != null) {
      throw new ValueError(
        "`idf_weights` should only be set if output_mode is `'tf_idf'`. " +
          `Received: output_mode=${this.outputMode} and idf_weights=${show(Array.from(idfWeights))}`,
      );
    }
    if (!Array.isArray(vocabulary)) {
      throw new ValueError(
        `\`vocabulary\` must be an array of tokens. Received: vocabulary=${show(vocabulary)}`,
      );
    }
    if (vocabulary.length === 0)
      throw new ValueError('Cannot set an empty vocabulary. Received: vocabulary=[]');
    const tokenStart = this.tokenStartIndex();
    const special = this.getVocabulary().slice(0, tokenStart);
    const foundSpecial =
      vocabulary.length >= tokenStart && special.every((t, i) => Object.is(vocabulary[i], t));
    const tokens = foundSpecial ? vocabulary.slice(tokenStart) : vocabulary.slice();
    this.checkTokens(tokens, special, vocabulary);
    let weights: Float32Array | null = null;
    if (this.outputMode === 'tf_idf' && idfWeights != null) {
      if (vocabulary.length !== idfWeights.length) {
        throw new ValueError(
          `\`idf_weights\` must be the same length as vocabulary. len(idf_weights) is ${idfWeights.length}; ` +
            `len(vocabulary) is ${vocabulary.length}`,
        );
      }
      const given = Array.from(idfWeights, Number);
      const mean = given.reduce((a, b) => a + b, 0) / given.length;
      const front = foundSpecial ? [] : new Array<number>(tokenStart).fill(mean);
      weights = this.padIdf(Float32Array.from([...front, ...given]));
    }
    this.recordVocabulary(tokens, weights);
  }

  /** Keras's checks on a new vocabulary's learned part: no repeats, no misplaced special tokens, size. */
  private checkTokens(tokens: T[], special: T[], vocabulary: T[]): void {
    const seen = new Set<T>();
    const repeated = new Set<T>();
    for (const t of tokens) {
      if (seen.has(t)) repeated.add(t);
      seen.add(t);
    }
    if (repeated.size > 0) {
      throw new ValueError(
        'The passed vocabulary has at least one repeated term. Please uniquify your dataset. ' +
          `The repeated terms are: ${show([...repeated])}`,
      );
    }
    const placement = (what: string, token: T) => {
      const at = vocabulary.lastIndexOf(token);
      return new ValueError(
        `Found reserved ${what} token at unexpected location in \`vocabulary\`. Note that passed \`vocabulary\` ` +
          'does not need to include the OOV and mask tokens. Either remove all mask and OOV tokens, or include ' +
          `them only at the start of the vocabulary in precisely this order: ${show(special)}. ` +
          `Received: ${what === 'mask' ? 'mask_token' : 'oov_token'}=${show(token)} at vocabulary index ${at}`,
      );
    };
    if (this.maskToken != null && seen.has(this.maskToken)) throw placement('mask', this.maskToken);
    // An OOV token among the tokens only matters when indices are mapped back to tokens.
    if (this.invert && seen.has(this.oovToken)) throw placement('OOV', this.oovToken);
    const size = this.tokenStartIndex() + tokens.length;
    if (this.maxTokens != null && size > this.maxTokens) {
      throw new ValueError(
        `Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size is ${size}; ` +
          `\`max_tokens\` is ${this.maxTokens}.`,
      );
    }
  }

  /** With `padToMaxTokens`, zero idf weights fill the columns past the vocabulary. */
  private padIdf(weights: Float32Array): Float32Array {
    if (!this.padToMaxTokens || this.maxTokens == null || weights.length >= this.maxTokens) return weights;
    const out = new Float32Array(this.maxTokens);
    out.set(weights);
    return out;
  }

  /**
   * Installs a checked vocabulary. Outside 'int' mode (and without `padToMaxTokens`) the output depth is
   * fixed once known: a vocabulary of another size is refused, as Keras refuses it.
   */
  private recordVocabulary(tokens: T[], weights: Float32Array | null): void {
    const size = this.tokenStartIndex() + tokens.length;
    if (
      this.outputMode !== 'int' &&
      !this.padToMaxTokens &&
      this.frozenVocabSize != null &&
      size !== this.frozenVocabSize
    ) {
      throw new RuntimeError(
        `When using \`output_mode=${this.outputMode}\` and \`pad_to_max_tokens=False\`, the vocabulary size cannot ` +
          `be changed after the layer is called. Old vocab size is ${this.frozenVocabSize}, new vocab size is ${size}`,
      );
    }
    const start = this.tokenStartIndex();
    this.tokens = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i + start]));
    if (weights) this.idf = weights;
    this.frozenVocabSize = size;
  }

  /**
   * Learns the vocabulary from documents (lists of tokens): most frequent tokens first, ties to the larger
   * token, as Keras's reversed sort of (count, token) does. In 'tf_idf' mode each token's weight is
   * ln(1 + documents / (1 + documents containing it)); the OOV indices get the mean weight.
   */
  adaptDocuments(documents: T[][]): void {
    if (this.hasInputVocabulary) {
      throw new ValueError(
        `Cannot adapt layer '${this.name}' after setting a static vocabulary via \`vocabulary\` argument or ` +
          '`set_vocabulary()` method.',
      );
    }
    const counts = new Map<T, number>();
    const docCounts = new Map<T, number>();
    for (const doc of documents) {
      for (const t of doc) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const t of new Set(doc)) docCounts.set(t, (docCounts.get(t) ?? 0) + 1);
    }
    // With nothing seen, Keras keeps the vocabulary it had.
    if (counts.size === 0) return;
    if (this.maskToken != null) counts.delete(this.maskToken);
    counts.delete(this.oovToken);
    let sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareTokens(b[0], a[0]));
    if (this.maxTokens != null)
      sorted = sorted.slice(0, Math.max(0, this.maxTokens - this.tokenStartIndex()));
    const tokens = sorted.map(([t]) => t);
    let weights: Float32Array | null = null;
    if (this.outputMode === 'tf_idf') {
      const n = documents.length;
      const learned = tokens.map((t) => Math.fround(Math.log(1 + n / (1 + (docCounts.get(t) ?? 0)))));
      let sum = 0;
      for (const w of learned) sum += w;
      const mean = Math.fround(sum / learned.length);
      weights = this.padIdf(
        Float32Array.from([...new Array<number>(this.tokenStartIndex()).fill(mean), ...learned]),
      );
    }
    this.recordVocabulary(tokens, weights);
  }

  /**
   * The index of each token: 0 for the mask token in 'int' mode and -1 (no column) in the other modes,
   * then the vocabulary's index, else an OOV index.
   */
  protected lookupIndices(values: T[]): Int32Array {
    const out = new Int32Array(values.length);
    const maskValue = this.outputMode === 'int' ? 0 : -1;
    const oovStart = this.oovStartIndex();
    const missing: T[] = [];
    values.forEach((v, i) => {
      if (this.maskToken != null && v === this.maskToken) {
        out[i] = maskValue;
        return;
      }
      const found = this.index.get(v);
      if (found !== undefined) out[i] = found;
      else if (this.numOovIndices === 0) missing.push(v);
      else if (this.numOovIndices === 1) out[i] = oovStart;
      else {
        const k = this.numOovIndices;
        out[i] = oovStart + ((((v as number) % k) + k) % k);
      }
    });
    if (missing.length > 0) {
      throw new ValueError(
        `Layer "${this.name}": when \`num_oov_indices=0\` all inputs should be in vocabulary, found OOV values ` +
          `${show([...new Set(missing)])}, consider setting \`num_oov_indices=1\`.`,
      );
    }
    return out;
  }

  /** The token of each index (for `invert`): the mask token at 0 when there is one, else the OOV token. */
  protected tokensAt(indices: ArrayLike<number>): T[] {
    const start = this.tokenStartIndex();
    return Array.from(indices, (i) => {
      if (this.maskToken != null && i === 0) return this.maskToken;
      const t = i >= start ? this.tokens[i - start] : undefined;
      return t === undefined ? this.oovToken : t;
    });
  }

  /** The width of non-int outputs; calling before it is known fails as in Keras. */
  protected outputDepth(): number {
    const depth = this.padToMaxTokens ? this.maxTokens : this.frozenVocabSize;
    if (depth == null) {
      throw new RuntimeError(
        `When using \`output_mode=${this.outputMode}\` and \`pad_to_max_tokens=False\`, you must set the layer's ` +
          'vocabulary before calling it. Either pass a `vocabulary` argument to the layer, or call `adapt` with some sample data.',
      );
    }
    return depth;
  }

  private idfForCall(): Float32Array {
    if (!this.idf) {
      throw new ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be provided.");
    }
    return this.idf;
  }

  /**
   * Looks values of the given shape up and encodes them for `outputMode`. 'int' keeps the shape (int32);
   * 'one_hot' adds a depth axis (replacing a last axis of 1); 'multi_hot', 'count' and 'tf_idf' replace
   * the last axis by the depth (rank 0 and 1 give one sample).
   */
  protected lookupAndEncode(values: T[], shape: number[]): tf.Tensor {
    if (this.outputMode !== 'int') this.outputDepth();
    const ids = this.lookupIndices(values);
    if (this.outputMode === 'int') return tf.tensor(ids, shape, 'int32');
    if (this.outputMode === 'one_hot') return this.encodeOneHot(ids, shape);
    if (shape.length > 2) {
      throw new ValueError(
        `Layer "${this.name}": when output_mode is not 'int', maximum supported output rank is 2. Received ` +
          `output_mode ${this.outputMode} and input shape [${shape.join(', ')}], which would result in output ` +
          `rank ${shape.length}.`,
      );
    }
    if (shape.length < 2) return this.encodeBags([ids], false);
    const [n, width] = shape;
    return this.encodeBags(
      Array.from({ length: n }, (_, r) => ids.subarray(r * width, (r + 1) * width)),
      true,
    );
  }

  /**
   * One row per index of an input of `inputShape`: 1 in its column; a dropped mask token (-1) gives a row
   * of zeros. A last axis of 1 is replaced by the depth axis, other shapes gain one.
   */
  encodeOneHot(ids: Int32Array, inputShape: number[]): tf.Tensor {
    const depth = this.outputDepth();
    let shape = inputShape;
    if (shape.length === 0) shape = [1];
    else if (shape.length > 1 && shape[shape.length - 1] === 1) shape = shape.slice(0, -1);
    const out = new Float32Array(ids.length * depth);
    ids.forEach((id, i) => {
      if (id >= 0 && id < depth) out[i * depth + id] = 1;
    });
    return tf.tensor(out, [...shape, depth], 'float32');
  }

  /**
   * One row per bag of indices ('multi_hot', 'count' or 'tf_idf'); `batched` false gives a single
   * `[depth]` row, as Keras does for rank-0 and rank-1 input.
   */
  encodeBags(rows: ArrayLike<number>[], batched: boolean): tf.Tensor {
    const depth = this.outputDepth();
    const out = new Float32Array(rows.length * depth);
    rows.forEach((row, r) => {
      for (let i = 0; i < row.length; i++) {
        const id = row[i];
        if (id < 0 || id >= depth) continue;
        if (this.outputMode === 'multi_hot') out[r * depth + id] = 1;
        else out[r * depth + id] += 1;
      }
    });
    if (this.outputMode === 'tf_idf') {
      const idf = this.idfForCall();
      for (let i = 0; i < out.length; i++) out[i] *= idf[i % depth] ?? 0;
    }
    return batched ? tf.tensor2d(out, [rows.length, depth], 'float32') : tf.tensor1d(out, 'float32');
  }

  /** Indices for the bags of tokens of TextVectorization (-1 marks a dropped mask token). */
  lookupRows(rows: T[][]): Int32Array[] {
    return rows.map((row) => this.lookupIndices(row));
  }

  protected override outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    if (this.outputMode !== 'int') return 'float32';
    return 'int32';
  }

  override computeOutputShape(inputShape: Shape): Shape {
    if (this.outputMode === 'int') return inputShape;
    const depth = this.padToMaxTokens ? this.maxTokens : this.frozenVocabSize;
    if (this.outputMode === 'one_hot') {
      if (inputShape.length > 1 && inputShape[inputShape.length - 1] === 1)
        return [...inputShape.slice(0, -1), depth];
      return [...inputShape, depth];
    }
    return [...inputShape.slice(0, -1), depth];
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
      // Keras records only a vocabulary given to the constructor; an adapted one is saved as an asset.
      idfWeights: this.inputIdfWeights ? this.inputIdfWeights.slice() : null,
      vocabulary: this.inputVocabulary ? this.inputVocabulary.slice() : null,
      vocabularySize: this.frozenVocabSize,
      oovMethod: this.oovMethod,
      salt: this.salt ? this.salt.slice() : null,
    };
  }

  // ---- Keras saving: idf weights in the weights file, an adapted vocabulary as an asset ----------------

  /** What Keras's `save_own_variables` writes: the idf weights in 'tf_idf' mode. */
  override kerasSaveState(): Record<string, KerasStateArray> {
    if (this.outputMode !== 'tf_idf' || !this.idf) return {};
    return { idf_weights: { values: this.idf.slice(), shape: [this.idf.length] } };
  }

  /** Keras's `load_own_variables`: takes the idf weights in 'tf_idf' mode, ignores the store otherwise. */
  override kerasLoadState(state: Record<string, KerasStateArray>): void {
    if (this.outputMode !== 'tf_idf') return;
    const w = state.idf_weights;
    if (w?.shape.length !== 1) {
      throw new ValueError(
        `Layer "${this.name}" (output_mode='tf_idf') expects a 1-D 'idf_weights' array in the weights file. ` +
          `Received: ${w ? `shape [${w.shape.join(', ')}]` : `entries ${show(Object.keys(state))}`}`,
      );
    }
    this.idf = Float32Array.from(w.values);
  }

  /** Keras's `save_assets`: an adapted vocabulary as `vocabulary.txt`, one token a line, special tokens first. */
  override kerasSaveAssets(): Record<string, Uint8Array> {
    if (this.inputVocabulary != null) return {};
    const text = this.getVocabulary().map(String).join('\n');
    return { 'vocabulary.txt': new TextEncoder().encode(text) };
  }

  /** Keras's `load_assets`: reads `vocabulary.txt` unless the config gave the vocabulary. */
  override kerasLoadAssets(files: Record<string, Uint8Array>, where = ''): void {
    if (this.inputVocabulary != null) return;
    const bytes = files['vocabulary.txt'];
    if (!bytes) {
      throw new ValueError(
        `Layer "${this.name}" (${this.getClassName()}) has no vocabulary in its config, so the archive should hold ` +
          `'${where}vocabulary.txt'. Received: ${Object.keys(files).length ? show(Object.keys(files)) : 'no such file'}`,
      );
    }
    const lines = new TextDecoder().decode(bytes).split(LINE_BREAK);
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const values = lines.map((line) => this.parseToken(line));
    if (this.outputMode !== 'tf_idf') {
      this.setVocabulary(values);
      return;
    }
    const idf = this.idf;
    if (!idf) {
      throw new ValueError(
        `Layer "${this.name}" (output_mode='tf_idf') needs its 'idf_weights' from the weights file before its vocabulary.`,
      );
    }
    const tokenStart = this.tokenStartIndex();
    const special = this.getVocabulary().slice(0, tokenStart);
    const foundSpecial = values.length >= tokenStart && special.every((t, i) => Object.is(values[i], t));
    if (foundSpecial && this.padToMaxTokens && idf.length === this.maxTokens && values.length < idf.length) {
      // Weights saved with padToMaxTokens already hold the padding columns (Keras's own reload trips here).
      const tokens = values.slice(tokenStart);
      this.checkTokens(tokens, special, values);
      this.recordVocabulary(tokens, idf);
      return;
    }
    this.setVocabulary(values, idf);
  }

  /**
   * For saved formats without assets (legacy .h5, TF.js): an adapted vocabulary (and idf weights) as config
   * entries, special tokens included, so that loading gives the same lookups.
   */
  override kerasInlineAssets(): Record<string, unknown> {
    if (this.inputVocabulary != null || this.tokens.length === 0) return {};
    const vocabulary = this.getVocabulary();
    if (this.outputMode !== 'tf_idf' || !this.idf) return { vocabulary };
    return { vocabulary, idf_weights: Array.from(this.idf.subarray(0, vocabulary.length)) };
  }

  /** One vocabulary file line as a token. */
  protected abstract parseToken(line: string): T;
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
  if (values.length !== shape.reduce((a, b) => a * b, 1) || values.some((v) => Array.isArray(v))) {
    throw new ValueError(
      `${what} must be a rectangular array. Received shape-inconsistent input of ${values.length} values.`,
    );
  }
  return { values, shape };
}

/** The documents of `adapt` data: each row of a rank-2 array, each element of a rank-1 array. */
export function adaptDocumentsOf<T>(values: T[], shape: number[]): T[][] {
  if (shape.length === 0) return [values];
  if (shape.length === 1) return values.map((v) => [v]);
  const rows = shape[0];
  const width = rows === 0 ? 0 : values.length / rows;
  return Array.from({ length: rows }, (_, r) => values.slice(r * width, (r + 1) * width));
}
