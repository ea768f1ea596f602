// IntegerLookup, StringLookup and TextVectorization: the vocabulary as an ai.onnx.ml LabelEncoder, the text
// pipeline (standardize, split, n-grams) on ONNX string tensors, and the bag encodings as sums of one-hot rows.
//
// Strings run on ONNX Runtime's text ops: StringNormalizer lower-cases in the "C" locale, which changes ASCII
// letters only, as TensorFlow's `strings.lower` does for Keras; com.microsoft's Tokenizer (RE2 regular
// expressions) splits and strips punctuation; StringConcat (opset 20) joins the pieces and the n-grams.
import type { Layer, Node } from '@strata/core';

import type { OnnxGraph } from '../onnx-graph.js';
import { type LayerCall, registerOnnxConverter } from './converter.js';

/** What the exporter reads of Strata's IndexLookup layers (IntegerLookup, StringLookup). */
interface IndexLookupLayer {
  outputMode: 'int' | 'one_hot' | 'multi_hot' | 'count' | 'tf_idf';
  maskToken: string | number | null;
  oovToken: string | number;
  numOovIndices: number;
  invert: boolean;
  padToMaxTokens: boolean;
  maxTokens: number | null;
  oovMethod: string;
  idfWeights: Float32Array | null;
  getVocabulary(): (string | number)[];
  vocabularySize(): number;
}

/** What the exporter reads of Strata's TextVectorization. */
interface TextVectorizationLayer {
  outputMode: IndexLookupLayer['outputMode'];
  standardize: unknown;
  split: unknown;
  ngramWidths: number[] | null;
  outputSequenceLength: number | null;
  padToMaxTokens: boolean;
  maxTokens: number | null;
  idfWeights: Float32Array | null;
  getVocabulary(): string[];
  vocabularySize(): number;
}

const TO_INT32 = 6;
const TO_INT64 = 7;
const TO_FLOAT = 1;

/** The vocabulary as lookup tables: each learned token's index, the mask token's, and the OOV index. */
interface Table<T> {
  keys: T[];
  values: number[];
  oovStart: number;
  numOov: number;
}

/**
 * Keras's IndexLookup indices: index 0 is the mask token in 'int' mode (-1, no column, in the others), then
 * the OOV indices, then the vocabulary.
 */
function lookupTable<T extends string | number>(
  vocabulary: T[],
  maskToken: T | null,
  numOov: number,
  intMode: boolean,
): Table<T> {
  const oovStart = maskToken != null && intMode ? 1 : 0;
  const start = oovStart + numOov;
  const keys = vocabulary.slice(start);
  const values = keys.map((_, i) => i + start);
  if (maskToken != null) {
    keys.push(maskToken);
    values.push(intMode ? 0 : -1);
  }
  return { keys, values, oovStart, numOov };
}

/** Token ids (int64) of `x` (int64 or strings); several OOV indices take `value mod numOovIndices`. */
function lookupIds<T extends string | number>(g: OnnxGraph, x: string, table: Table<T>): string {
  const strings = typeof table.keys[0] === 'string';
  const spread = table.numOov > 1;
  // -2 is no index: it marks the values that the modulo below places.
  const missing = spread ? -2 : table.oovStart;
  const ids = g.opIn('ai.onnx.ml', 'LabelEncoder', [x], {
    [strings ? 'keys_strings' : 'keys_int64s']: table.keys as string[] | number[],
    values_int64s: table.values,
    default_int64: missing,
  })[0];
  if (!spread) return ids;
  const oov = g.op1('Add', [
    g.op1('Mod', [x, g.int64s('num_oov_indices', [table.numOov], [])], { fmod: 0 }),
    g.int64s('oov_start', [table.oovStart], []),
  ]);
  return g.op1('Where', [g.op1('Equal', [ids, g.int64s('missing', [missing], [])]), oov, ids]);
}

/**
 * The non-int outputs of ids `[..., tokens]`: 'one_hot' a row per id (a last axis of 1 replaced by the
 * depth axis), else one row per bag of the last axis: 'multi_hot' (present or not), 'count', 'tf_idf'
 * (count × idf). Ids outside [0, depth), the mask token's -1 among them, have no column.
 */
function encodeIds(
  g: OnnxGraph,
  ids: string,
  mode: IndexLookupLayer['outputMode'],
  depth: number,
  idf: Float32Array | null,
  inputShape: (number | null)[],
): string {
  if (mode !== 'one_hot')
    // One more id, -1 (no column), in every bag: ONNX Runtime's ReduceSum returns a bag of no ids unreduced.
    ids = g.op1('Pad', [
      ids,
      g.int64s('pads', [
        ...inputShape.map(() => 0),
        ...inputShape.map((_, i) => (i === inputShape.length - 1 ? 1 : 0)),
      ]),
      g.int64s('no_column', [-1], []),
    ]);
  const columns = g.int64s(
    'columns',
    Array.from({ length: depth }, (_, i) => i),
  );
  const hot = g.op1('Cast', [g.op1('Equal', [g.op1('Unsqueeze', [ids, g.int64s('axes', [-1])]), columns])], {
    to: TO_FLOAT,
  });
  if (mode === 'one_hot')
    return inputShape.length > 1 && inputShape[inputShape.length - 1] === 1
      ? g.op1('Squeeze', [hot, g.int64s('axes', [-2])])
      : hot;
  const counts = g.reduce('ReduceSum', hot, [-2], false);
  if (mode === 'multi_hot') return g.op1('Min', [counts, g.floats('one', [1], [])]);
  if (mode === 'count') return counts;
  return g.op1('Mul', [counts, g.floats('idf', idf!.subarray(0, depth), [depth])]);
}

function outputDepth(layer: { padToMaxTokens: boolean; maxTokens: number | null; vocabularySize(): number }) {
  return layer.padToMaxTokens && layer.maxTokens != null ? layer.maxTokens : layer.vocabularySize();
}

function indexLookupProblem(layer: Layer, node: Node): string | null {
  const l = layer as unknown as IndexLookupLayer;
  if (l.numOovIndices === 0)
    return 'numOovIndices=0 (Keras raises on an out-of-vocabulary input; an ONNX graph cannot raise)';
  if (l.oovMethod !== 'floormod') return `oovMethod='${l.oovMethod}'`;
  if (l.getVocabulary().length === (l.maskToken != null ? 1 : 0) + l.numOovIndices)
    return 'it has no vocabulary (adapt it or give one)';
  if (l.outputMode === 'tf_idf' && !l.idfWeights) return 'no idf weights';
  if (l.outputMode !== 'int' && l.outputMode !== 'one_hot' && node.inputTensors[0].shape.length > 2)
    return `output_mode='${l.outputMode}' on an input of rank ${node.inputTensors[0].shape.length}`;
  return null;
}

/** IntegerLookup and StringLookup: ids of the input's values (or, with `invert`, the values of ids). */
function convertIndexLookup({ graph, layer, inputs, inputShapes }: LayerCall): string[] {
  const l = layer as unknown as IndexLookupLayer;
  const vocabulary = l.getVocabulary();
  const strings = typeof l.oovToken === 'string';
  const x = strings && !l.invert ? inputs[0] : graph.op1('Cast', [inputs[0]], { to: TO_INT64 });
  if (l.invert) {
    // Index to token; the mask token at 0, the OOV token for the OOV indices and any index out of range.
    const start = (l.maskToken != null ? 1 : 0) + l.numOovIndices;
    const keys = vocabulary.map((_, i) => i).filter((i) => i >= start || (i === 0 && l.maskToken != null));
    const tokens = keys.map((i) => vocabulary[i]);
    const y = graph.opIn('ai.onnx.ml', 'LabelEncoder', [x], {
      keys_int64s: keys,
      ...(strings
        ? { values_strings: tokens as string[], default_string: l.oovToken as string }
        : { values_int64s: tokens as number[], default_int64: l.oovToken as number }),
    })[0];
    return [strings ? y : graph.op1('Cast', [y], { to: TO_INT32 })];
  }
  const table = lookupTable(vocabulary, l.maskToken, l.numOovIndices, l.outputMode === 'int');
  const ids = lookupIds(graph, x, table);
  if (l.outputMode === 'int') return [graph.op1('Cast', [ids], { to: TO_INT32 })];
  return [encodeIds(graph, ids, l.outputMode, outputDepth(l), l.idfWeights, inputShapes[0])];
}

for (const className of ['IntegerLookup', 'StringLookup']) {
  registerOnnxConverter(className, { check: indexLookupProblem, convert: convertIndexLookup });
}

// ---- TextVectorization ------------------------------------------------------------------------------

/** Runs of characters other than Keras's punctuation (Python's `string.punctuation`), as an RE2 class. */
const NOT_PUNCTUATION = '[^!-/:-@\\[-`{-~]+';
/** TensorFlow's whitespace split: runs of characters other than ASCII whitespace. */
const NOT_WHITESPACE = '[^ \\t\\n\\v\\f\\r]+';
/** One character (code point), newlines included (the Tokenizer's RE2 matches `.` across lines). */
const ANY_CHARACTER = '.';

/** com.microsoft's Tokenizer: the matches of `pattern` in each string, `[..., matches]`, padded with ''. */
function tokenize(g: OnnxGraph, x: string, pattern: string): string {
  const tokens = g.opIn('com.microsoft', 'Tokenizer', [x], {
    mark: 0,
    mincharnum: 1,
    pad_value: '',
    tokenexp: pattern,
  })[0];
  // onnx.checker's shape inference crashes on a LabelEncoder whose input has no known type.
  g.declare(tokens, 'string');
  return tokens;
}

/** Each row of the strings `[rows, n]` joined into one string (`[rows]`), by a Loop over the n columns. */
function joinColumns(g: OnnxGraph, pieces: string, rows: string): string {
  const body = g.subgraph();
  const i = body.uniqueName('column');
  const condIn = body.uniqueName('cond_in');
  const accIn = body.uniqueName('joined_in');
  body.addInput(i, [], 'int64');
  body.addInput(condIn, [], 'bool');
  body.addInput(accIn, null, 'string');
  const column = body.op1('Gather', [pieces, i], { axis: 1 });
  body.addOutput(body.uniqueName('cond_out'), condIn, [], 'bool');
  body.addOutput(body.uniqueName('joined_out'), body.op1('StringConcat', [accIn, column]), null, 'string');
  const columns = g.op1('Gather', [g.op1('Shape', [pieces]), g.int64s('column_axis', [1], [])], { axis: 0 });
  const empty = g.op1('Expand', [g.strings('empty', [''], []), rows]);
  return g.op('Loop', [columns, '', empty], { body })[0];
}

/**
 * The n-grams of tokens `[rows, tokens]`, every width's in turn (widths 1..n or the listed ones), tokens
 * joined by a space, as Keras makes them. With `padded`, '' pads the rows (the Tokenizer's output): an
 * n-gram reaching into the padding is '' too, which the lookup drops as the mask token.
 */
function ngramsOf(g: OnnxGraph, tokens: string, widths: number[], padded: boolean): string {
  const space = g.strings('space', [' '], []);
  const slice = (k: number, n: number) =>
    g.op1('Slice', [
      tokens,
      g.int64s('starts', [k]),
      g.int64s('ends', [k === n - 1 ? Number.MAX_SAFE_INTEGER : k - (n - 1)]),
      g.int64s('axes', [1]),
    ]);
  const grams = widths.map((n) => {
    if (n === 1) return tokens;
    let gram = slice(0, n);
    for (let k = 1; k < n; k++)
      gram = g.op1('StringConcat', [g.op1('StringConcat', [gram, space]), slice(k, n)]);
    if (!padded) return gram;
    const last = slice(n - 1, n);
    const pad = g.op1('Equal', [last, g.strings('pad', [''], [])]);
    return g.op1('Where', [pad, last, gram]);
  });
  return grams.length === 1 ? grams[0] : g.op1('Concat', grams, { axis: 1 });
}

/**
 * Moves the ids of real tokens (`valid`) of each row to its front, keeping their order, and cuts the rows
 * to the longest: what Strata's 'int' output is when n-grams leave padding between the widths.
 */
function compactRows(g: OnnxGraph, ids: string, valid: string): string {
  const width = g.op1('Shape', [ids], { start: 1, end: 2 });
  const positions = g.op1(
    'Cast',
    [g.op1('Range', [g.int64s('zero', [0], []), g.op1('Squeeze', [width]), g.int64s('one', [1], [])])],
    { to: TO_FLOAT },
  );
  // A padded position sorts after every real one (rows are far shorter than 2^24 positions).
  const late = g.op1('Mul', [
    g.op1('Cast', [g.op1('Not', [valid])], { to: TO_FLOAT }),
    g.floats('late', [2 ** 24], []),
  ]);
  const [, order] = g.op(
    'TopK',
    [g.op1('Add', [positions, late]), width],
    { axis: 1, largest: 0, sorted: 1 },
    2,
  );
  const sorted = g.op1('GatherElements', [ids, order], { axis: 1 });
  const longest = g.reduce(
    'ReduceMax',
    g.reduce('ReduceSum', g.op1('Cast', [valid], { to: TO_INT64 }), [1], false),
    [0],
    true,
  );
  return g.op1('Slice', [sorted, g.int64s('starts', [0]), longest, g.int64s('axes', [1])]);
}

/** Pads (with 0) or cuts the rows of ids `[rows, n]` to `length`. */
function fixLength(g: OnnxGraph, ids: string, length: number): string {
  const padded = g.op1('Pad', [ids, g.int64s('pads', [0, 0, 0, length])]);
  return g.op1('Slice', [padded, g.int64s('starts', [0]), g.int64s('ends', [length]), g.int64s('axes', [1])]);
}

function textVectorizationProblem(layer: Layer, node: Node): string | null {
  const l = layer as unknown as TextVectorizationLayer;
  if (typeof l.standardize === 'function')
    return 'a custom standardize function (code, which ONNX cannot carry)';
  if (typeof l.split === 'function') return 'a custom split function (code, which ONNX cannot carry)';
  if (l.outputMode === 'one_hot') return "output_mode='one_hot'";
  if (l.getVocabulary().length === (l.outputMode === 'int' ? 2 : 1))
    return 'it has no vocabulary (adapt it or give one)';
  const shape = node.inputTensors[0].shape;
  if (l.split === null ? shape.length !== 2 : shape.length > 2 || (shape.length === 2 && shape[1] !== 1))
    return `an input of shape [${shape.map((d) => d ?? 'null').join(', ')}] (expected [batch, 1]${l.split === null ? ' or [batch, n] without a split' : ' or [batch]'})`;
  return null;
}

registerOnnxConverter('TextVectorization', {
  check: textVectorizationProblem,
  // StringConcat joins the stripped pieces and the n-grams.
  minOpset: (layer) => {
    const l = layer as unknown as TextVectorizationLayer;
    const strips = l.standardize === 'strip_punctuation' || l.standardize === 'lower_and_strip_punctuation';
    return strips || l.ngramWidths?.some((n) => n > 1) ? 20 : 17;
  },
  convert: ({ graph: g, layer, inputs }) => {
    const l = layer as unknown as TextVectorizationLayer;
    const shape = g.op1('Shape', [inputs[0]]);
    let text = g.op1('Reshape', [inputs[0], g.int64s('flat', [-1])]);
    if (l.standardize === 'lower' || l.standardize === 'lower_and_strip_punctuation')
      text = g.op1('StringNormalizer', [text], { case_change_action: 'LOWER', locale: 'C' });
    if (l.standardize === 'strip_punctuation' || l.standardize === 'lower_and_strip_punctuation')
      text = joinColumns(g, tokenize(g, text, NOT_PUNCTUATION), g.op1('Shape', [text]));
    const split = l.split !== null;
    const tokens = split
      ? tokenize(g, text, l.split === 'character' ? ANY_CHARACTER : NOT_WHITESPACE)
      : g.op1('Reshape', [text, shape]);
    const grams = l.ngramWidths ? ngramsOf(g, tokens, l.ngramWidths, split) : tokens;
    const intMode = l.outputMode === 'int';
    const ids = lookupIds(g, grams, lookupTable(l.getVocabulary(), '', 1, intMode));
    if (!intMode) return [encodeIds(g, ids, l.outputMode, outputDepth(l), l.idfWeights, [null, null])];
    let out = ids;
    if (split && l.ngramWidths && l.ngramWidths.length > 1)
      out = compactRows(g, ids, g.op1('Not', [g.op1('Equal', [grams, g.strings('pad', [''], [])])]));
    if (l.outputSequenceLength != null) out = fixLength(g, out, l.outputSequenceLength);
    return [g.op1('Cast', [out], { to: TO_INT32 })];
  },
});
