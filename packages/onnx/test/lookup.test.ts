// The lookup and text layers exported: ONNX string tensors in, onnxruntime-node's outputs equal predict's.
import { input, Model, type SymbolicTensor, ValueError } from '@strata/core';
import * as L from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/index.js';
import { toOnnx } from '../src/index.js';
import { expectOnnxMatchesPredict } from './onnx-runtime.js';

/** A model of one input running each layer on it, one output per layer. */
function fanOut(shape: number[], dtype: 'string' | 'int32', layers: { apply(x: SymbolicTensor): unknown }[]) {
  const x = input({ shape, dtype });
  return new Model({ inputs: x, outputs: layers.map((l) => l.apply(x) as SymbolicTensor) });
}

/** Texts meant to trip a tokenizer: case, punctuation inside and around words, tabs and newlines, non-ASCII
 * capitals (TensorFlow lower-cases ASCII only), punctuation-only and empty strings. */
const TEXTS = [
  'The cat sat on the mat.',
  "Don't\tstop, the CAT!  the\nmat",
  'ÉCOLE Über café, the cat',
  '... ,,, !!!',
  '',
  'a dog and a cat and a mat',
];

const column = (texts: string[]) =>
  tf.tensor(
    texts.map((t) => [t]),
    [texts.length, 1],
    'string',
  );

describe('lookup and text layers in ONNX Runtime', () => {
  it('IntegerLookup: mask token, several OOV indices (floormod), invert, and the bag encodings', async () => {
    const data = [5, 7, 7, 9, 9, 9, -4, 12];
    const layers = [
      new L.IntegerLookup({ maskToken: 0 }),
      new L.IntegerLookup({ numOovIndices: 3 }),
      new L.IntegerLookup({ outputMode: 'multi_hot', maskToken: 0 }),
      new L.IntegerLookup({ outputMode: 'count' }),
      new L.IntegerLookup({ outputMode: 'one_hot', numOovIndices: 2 }),
      new L.IntegerLookup({ outputMode: 'tf_idf', padToMaxTokens: true, maxTokens: 8 }),
    ];
    for (const l of layers) l.adapt(data);
    const invert = new L.IntegerLookup({ vocabulary: [12, 9, 7], invert: true, maskToken: 0 });
    const model = fanOut([4], 'int32', [...layers, invert]);
    // Vocabulary values, the mask token, unseen values (negative ones too, for the modulo).
    const x = tf.tensor2d(
      [
        [9, 0, 7, 3],
        [-5, 12, 9, 9],
        [0, 0, 100, 5],
      ],
      undefined,
      'int32',
    );
    expect(await expectOnnxMatchesPredict(model, [x])).toBeLessThanOrEqual(1e-5);
    x.dispose();
  });

  it('StringLookup: int with a mask token, multi_hot, tf_idf, and invert to string outputs', async () => {
    const data = [['a', 'b', 'b', 'c', 'c', 'c']];
    const layers = [
      new L.StringLookup({ maskToken: '' }),
      new L.StringLookup({ outputMode: 'multi_hot' }),
      new L.StringLookup({ outputMode: 'tf_idf' }),
    ];
    for (const l of layers) l.adapt(data);
    const x = tf.tensor(
      [
        ['c', '', 'a'],
        ['z', 'b', '[UNK]'],
      ],
      [2, 3],
      'string',
    );
    await expectOnnxMatchesPredict(fanOut([3], 'string', layers), [x]);
    x.dispose();

    const ids = input({ shape: [3], dtype: 'int32' });
    const words = new L.StringLookup({ vocabulary: ['x', 'y'], invert: true }).apply(ids) as SymbolicTensor;
    const back = tf.tensor2d(
      [
        [0, 1, 2],
        [2, 7, 1],
      ],
      undefined,
      'int32',
    );
    await expectOnnxMatchesPredict(new Model({ inputs: ids, outputs: words }), [back]);
    back.dispose();
  });

  it('TextVectorization: every standardize and split, n-grams, the output modes', async () => {
    const corpus = ['the cat sat on the mat', 'the dog sat', 'a cat and a dog', "don't stop", 'über café'];
    const configs: L.TextVectorizationArgs[] = [
      { outputMode: 'tf_idf', ngrams: 2 },
      { outputMode: 'count', standardize: 'lower' },
      { outputMode: 'multi_hot', standardize: 'strip_punctuation', ngrams: [1, 3] },
      { outputMode: 'count', standardize: null, split: 'character', ngrams: 2 },
      { outputSequenceLength: 5 },
      { ngrams: 2 },
      { ngrams: [2], outputSequenceLength: 3, standardize: 'lower' },
      { split: 'character', outputSequenceLength: 12 },
      { outputMode: 'multi_hot', padToMaxTokens: true, maxTokens: 40, ngrams: 3 },
    ];
    const layers = configs.map((c) => {
      const l = new L.TextVectorization(c);
      l.adapt(corpus);
      return l;
    });
    const x = column(TEXTS);
    const model = fanOut([1], 'string', layers);
    expect(toOnnx(model).length).toBeGreaterThan(0);
    await expectOnnxMatchesPredict(model, [x]);
    // A batch whose every text is punctuation or empty: no tokens at all.
    const blank = column(['?!', '']);
    await expectOnnxMatchesPredict(model, [blank]);
    tf.dispose([x, blank]);
  });

  it('TextVectorization without a split: each string of a [batch, n] input is a token', async () => {
    const layers = [
      new L.TextVectorization({ split: null, ngrams: 2 }),
      new L.TextVectorization({ split: null, outputMode: 'count', standardize: 'lower' }),
    ];
    for (const l of layers)
      l.adapt(
        tf.tensor(
          [
            ['Red', 'green'],
            ['blue', 'Red'],
          ],
          [2, 2],
          'string',
        ),
      );
    const x = tf.tensor(
      [
        ['RED', 'green', ''],
        ['blue!', 'red', 'Green'],
      ],
      [2, 3],
      'string',
    );
    await expectOnnxMatchesPredict(fanOut([3], 'string', layers), [x]);
    x.dispose();
  });

  it('refuses what ONNX cannot run: custom standardize, numOovIndices=0, one_hot text', () => {
    const custom = new L.TextVectorization({ standardize: (s: string) => s.toUpperCase() });
    custom.adapt(['a b']);
    const strict = new L.StringLookup({ numOovIndices: 0, vocabulary: ['a'] });
    const oneHot = new L.TextVectorization({ split: null, outputMode: 'one_hot', vocabulary: ['a'] });
    const s = input({ shape: [1], dtype: 'string' });
    const model = new Model({
      inputs: s,
      outputs: [custom, strict, oneHot].map((l) => l.apply(s) as SymbolicTensor),
    });
    let error: Error | null = null;
    try {
      toOnnx(model);
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(ValueError);
    expect(error?.message).toMatch(
      /text_vectorization.* \(TextVectorization\): a custom standardize function/,
    );
    expect(error?.message).toMatch(/string_lookup.* \(StringLookup\): numOovIndices=0/);
    expect(error?.message).toMatch(/\(TextVectorization\): output_mode='one_hot'/);
  });
});
