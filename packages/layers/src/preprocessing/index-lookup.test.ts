// StringLookup and IntegerLookup output modes, TF-IDF and their saved state. Expected values are worked
// out by hand from Keras 3's rules (noted beside each), not read back from the layers.
import { input, Model, type SymbolicTensor } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { IntegerLookup } from './integer-lookup.js';
import { StringLookup } from './string-lookup.js';

/** Keras's idf: ln(1 + documents / (1 + documents containing the token)), in float32. */
const idf = (docs: number, containing: number) => Math.fround(Math.log(1 + docs / (1 + containing)));
const mean = (xs: number[]) => Math.fround(xs.reduce((a, b) => a + b, 0) / xs.length);

/** Applies a layer on plain arrays or a tensor, checking that nothing but the output stays alive. */
async function run(layer: StringLookup | IntegerLookup, x: unknown): Promise<tf.Tensor> {
  return (await expectNoLeakedTensors(() => layer.apply(x as tf.Tensor))) as tf.Tensor;
}

describe('StringLookup output modes', () => {
  // Vocabulary a, b, c with the mask token '': outside 'int' mode the mask has no column, so the
  // columns are [UNK], a, b, c.
  const vocabulary = ['a', 'b', 'c'];

  it("'multi_hot' and 'count' read each row as one sample; the mask token adds nothing", async () => {
    const multi = new StringLookup({ vocabulary, maskToken: '', outputMode: 'multi_hot' });
    expect(multi.getVocabulary()).toEqual(['[UNK]', 'a', 'b', 'c']);
    const x = [
      ['a', '', 'z'],
      ['b', 'b', 'c'],
    ];
    const m = await run(multi, x);
    expect(m.dtype).toBe('float32');
    expect(m.arraySync()).toEqual([
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ]);
    const count = new StringLookup({ vocabulary, maskToken: '', outputMode: 'count' });
    const c = await run(count, x);
    expect(c.arraySync()).toEqual([
      [1, 1, 0, 0],
      [0, 0, 2, 1],
    ]);
    // A rank-1 input is a single sample: one row of depth 4.
    const single = await run(count, ['c', 'c', 'q']);
    expect(single.arraySync()).toEqual([1, 0, 0, 2]);
    tf.dispose([m, c, single]);
  });

  it("'one_hot' gives one row per element, replacing a last axis of 1; the mask token's row is zeros", async () => {
    const layer = new StringLookup({ vocabulary, maskToken: '', outputMode: 'one_hot' });
    const column = await run(layer, [['a'], [''], ['z']]);
    expect(column.arraySync()).toEqual([
      [0, 1, 0, 0],
      [0, 0, 0, 0],
      [1, 0, 0, 0],
    ]);
    const grid = await run(layer, [
      ['a', 'b'],
      ['', 'c'],
    ]);
    expect(grid.shape).toEqual([2, 2, 4]);
    expect(grid.arraySync()).toEqual([
      [
        [0, 1, 0, 0],
        [0, 0, 1, 0],
      ],
      [
        [0, 0, 0, 0],
        [0, 0, 0, 1],
      ],
    ]);
    tf.dispose([column, grid]);
  });

  it("'int' mode keeps index 0 for the mask token, then the OOV index", async () => {
    const layer = new StringLookup({ vocabulary, maskToken: '' });
    expect(layer.getVocabulary()).toEqual(['', '[UNK]', 'a', 'b', 'c']);
    const out = await run(layer, ['c', '', 'z']);
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.dataSync())).toEqual([4, 0, 1]);
    out.dispose();
  });

  it('padToMaxTokens makes the output maxTokens wide', async () => {
    const layer = new StringLookup({
      vocabulary,
      outputMode: 'multi_hot',
      maxTokens: 6,
      padToMaxTokens: true,
    });
    const out = await run(layer, [['a', 'z']]);
    expect(out.arraySync()).toEqual([[1, 1, 0, 0, 0, 0]]);
    out.dispose();
    expect(() => new StringLookup({ outputMode: 'count', padToMaxTokens: true })).toThrow(
      'If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens=null',
    );
  });

  it("'tf_idf' with given weights: count × weight; the OOV column gets their mean unless given", async () => {
    const layer = new StringLookup({ vocabulary, outputMode: 'tf_idf', idfWeights: [1, 2, 4] });
    const oov = Math.fround(7 / 3);
    expectTensorsClose(Array.from(layer.idfWeights!), [oov, 1, 2, 4]);
    const out = await run(layer, [
      ['a', 'a', 'z'],
      ['c', 'b', 'q'],
    ]);
    expectTensorsClose(out, [
      [oov, 2, 0, 0],
      [oov, 0, 2, 4],
    ]);
    const withSpecial = new StringLookup({
      vocabulary: ['[UNK]', ...vocabulary],
      outputMode: 'tf_idf',
      idfWeights: [0.5, 1, 2, 4],
    });
    const out2 = await run(withSpecial, [['a', 'a', 'z']]);
    expectTensorsClose(out2, [[0.5, 2, 0, 0]]);
    tf.dispose([out, out2]);
  });

  it("'tf_idf' adapt learns ln(1 + N / (1 + df)) per token, rows as documents", async () => {
    // Documents [a b a] and [c a b]: a in 2, b in 2, c in 1; counts a 3, b 2, c 1.
    const layer = new StringLookup({ outputMode: 'tf_idf' });
    layer.adapt([
      ['a', 'b', 'a'],
      ['c', 'a', 'b'],
    ]);
    expect(layer.getVocabulary()).toEqual(['[UNK]', 'a', 'b', 'c']);
    const learned = [idf(2, 2), idf(2, 2), idf(2, 1)];
    expectTensorsClose(Array.from(layer.idfWeights!), [mean(learned), ...learned]);
    const out = await run(layer, ['a', 'b', 'a']);
    expectTensorsClose(out, [0, 2 * learned[0], learned[1], 0], { atol: 1e-6 });
    out.dispose();

    // A flat list: every element is its own document (4 documents); ties go to the larger token.
    const flat = new StringLookup({ outputMode: 'tf_idf', maxTokens: 6, padToMaxTokens: true });
    flat.adapt(['a', 'b', 'a', 'c']);
    expect(flat.getVocabulary()).toEqual(['[UNK]', 'a', 'c', 'b']);
    const w = [idf(4, 2), idf(4, 1), idf(4, 1)];
    expectTensorsClose(Array.from(flat.idfWeights!), [mean(w), ...w, 0, 0]);
  });

  it('fixes the output depth once set outside int mode, as Keras does', () => {
    const layer = new StringLookup({ outputMode: 'multi_hot' });
    layer.adapt(['a']);
    expect(() => layer.adapt(['a', 'b'])).toThrow(
      'When using `output_mode=multi_hot` and `pad_to_max_tokens=False`, the vocabulary size cannot be changed ' +
        'after the layer is called. Old vocab size is 2, new vocab size is 3',
    );
    const int = new StringLookup();
    int.adapt(['a']);
    int.adapt(['a', 'b']);
    // One each: the tie goes to the larger token.
    expect(int.getVocabulary()).toEqual(['[UNK]', 'b', 'a']);
    expect(() => new StringLookup({ outputMode: 'count' }).apply([['a']])).toThrow(
      "you must set the layer's vocabulary before calling it",
    );
  });

  it('rejects bad arguments and inputs with what was expected and what was received', () => {
    expect(() => new StringLookup({ outputMode: 'nope' as never })).toThrow(
      "Unknown value for `output_mode` argument of StringLookup. Allowed values are: ('int', 'one_hot', " +
        "'multi_hot', 'count', 'tf_idf'). Received: output_mode=nope",
    );
    expect(() => new StringLookup({ outputMode: 'count', invert: true })).toThrow(
      "`output_mode` must be `'int'` when `invert` is true. Received: output_mode=count",
    );
    expect(() => new StringLookup({ vocabulary: ['a'], idfWeights: [1] })).toThrow(
      'Received: idf_weights=[1] and output_mode=int',
    );
    expect(() => new StringLookup({ vocabulary: ['a'], outputMode: 'tf_idf' })).toThrow(
      'in TF-IDF output mode, the `idf_weights` argument must also be provided',
    );
    expect(() => new StringLookup({ vocabulary: ['a', 'b'], outputMode: 'tf_idf', idfWeights: [1] })).toThrow(
      'len(idf_weights) is 1; len(vocabulary) is 2',
    );
    expect(() => new StringLookup({ vocabulary: ['a', '', 'b'], maskToken: '' })).toThrow(
      'Received: mask_token="" at vocabulary index 1',
    );
    expect(() => new StringLookup({ outputMode: 'multi_hot', sparse: true })).toThrow(
      '`sparse=True` can only be used with the TensorFlow backend.',
    );
    const layer = new StringLookup({ vocabulary: ['a'], outputMode: 'count' });
    expect(() => layer.apply([[['a'], ['a']]])).toThrow(
      'maximum supported output rank is 2. Received output_mode count and input shape [1, 2, 1]',
    );
    const strict = new StringLookup({ vocabulary: ['a'], numOovIndices: 0 });
    expect(() => strict.apply(['a', 'x', 'y', 'x'])).toThrow('found OOV values ["x","y"]');
    expect(() => layer.apply([1, 2] as never)).toThrow('expects strings. Received: 1');
  });

  it("accepts Keras's deprecated spellings and works on string tensors in a model", async () => {
    expect(new StringLookup({ outputMode: 'binary' }).outputMode).toBe('multi_hot');
    expect(new StringLookup({ outputMode: 'tf-idf' }).outputMode).toBe('tf_idf');
    const layer = new StringLookup({ vocabulary, outputMode: 'count' });
    const x = input({ shape: [3], dtype: 'string' });
    const y = layer.apply(x) as SymbolicTensor;
    expect(y.shape).toEqual([null, 4]);
    expect(y.dtype).toBe('float32');
    const model = new Model({ inputs: x, outputs: y });
    const data = tf.tensor([['b', 'b', 'x']], [1, 3], 'string');
    const out = (await expectNoLeakedTensors(() => model.predict(data))) as tf.Tensor;
    expect(out.arraySync()).toEqual([[1, 0, 2, 0]]);
    tf.dispose([data, out]);
  });
});

describe('IntegerLookup output modes', () => {
  it('passes the layer test in multi_hot mode', async () => {
    await runLayerTest(IntegerLookup, {
      initArgs: { vocabulary: [12, 7, 3], outputMode: 'multi_hot' },
      inputShape: [2, 3],
      inputDtype: 'int32',
      inputData: tf.tensor2d(
        [
          [12, 3, 5],
          [7, 7, 12],
        ],
        undefined,
        'int32',
      ),
      expectedOutputShape: [2, 4],
      // Columns: -1 (OOV), 12, 7, 3.
      expectedOutput: [
        [1, 1, 0, 1],
        [0, 1, 1, 0],
      ],
    });
  });

  it('spreads unknown values over several OOV indices by value mod numOovIndices', async () => {
    // Vocabulary [-1, -1, 10, 20, 30]: 7 mod 2 = 1, -3 mod 2 = 1 (floor), 4 mod 2 = 0.
    const layer = new IntegerLookup({ vocabulary: [10, 20, 30], numOovIndices: 2 });
    expect(layer.getVocabulary()).toEqual([-1, -1, 10, 20, 30]);
    const x = tf.tensor1d([10, 7, -3, 30, 4], 'int32');
    const out = await run(layer, x);
    expect(Array.from(out.dataSync())).toEqual([2, 1, 1, 4, 0]);
    // After a mask token the OOV indices start at 1.
    const masked = new IntegerLookup({ vocabulary: [10, 20, 30], numOovIndices: 2, maskToken: 0 });
    const m = await run(masked, tf.tensor1d([10, 7, -3, 0, 4], 'int32'));
    expect(Array.from(m.dataSync())).toEqual([3, 2, 2, 0, 1]);
    tf.dispose([x, out, m]);
    expect(() => new IntegerLookup({ salt: 3 })).toThrow(
      "`salt` can only be used when `oov_method='farmhash'`. Received: oov_method=floormod",
    );
    expect(() => new IntegerLookup({ maxTokens: 1 })).toThrow(
      'If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: max_tokens=1',
    );
  });

  it("'count' and 'tf_idf' with a mask token, and invert in 'int' mode", async () => {
    const layer = new IntegerLookup({ vocabulary: [10, 20], maskToken: 0, outputMode: 'count' });
    expect(layer.getVocabulary()).toEqual([-1, 10, 20]);
    const x = tf.tensor2d(
      [
        [10, 0, 10],
        [5, 20, 0],
      ],
      undefined,
      'int32',
    );
    const out = await run(layer, x);
    expect(out.arraySync()).toEqual([
      [0, 2, 0],
      [1, 0, 1],
    ]);
    const tfidf = new IntegerLookup({ outputMode: 'tf_idf' });
    tfidf.adapt([
      [1, 2],
      [1, 1],
      [3, 1],
    ]);
    // Token 1 is in all 3 documents, 2 and 3 in one each (tie: larger first).
    expect(tfidf.getVocabulary()).toEqual([-1, 1, 3, 2]);
    const w = [idf(3, 3), idf(3, 1), idf(3, 1)];
    expectTensorsClose(Array.from(tfidf.idfWeights!), [mean(w), ...w]);
    const inverse = new IntegerLookup({ vocabulary: [10, 20], maskToken: 0, invert: true });
    const back = await run(inverse, tf.tensor1d([2, 0, 1, 9], 'int32'));
    expect(Array.from(back.dataSync())).toEqual([10, 0, -1, -1]);
    tf.dispose([x, out, back]);
  });
});

describe('saved state of lookup layers', () => {
  it('records a given vocabulary in the config and an adapted one as vocabulary.txt', () => {
    const given = new StringLookup({ vocabulary: ['x', 'y'], outputMode: 'multi_hot' });
    expect(given.getConfig()).toMatchObject({
      vocabulary: ['x', 'y'],
      vocabularySize: 3,
      outputMode: 'multi_hot',
    });
    expect(given.kerasSaveAssets()).toEqual({});
    expect(given.getConfig()).not.toHaveProperty('vocabularyDtype');

    const adapted = new StringLookup({ outputMode: 'tf_idf', maskToken: '' });
    adapted.adapt([['y', 'x', 'y']]);
    const config = adapted.getConfig();
    expect(config).toMatchObject({
      vocabulary: null,
      idfWeights: null,
      vocabularySize: 3,
      oovMethod: 'floormod',
    });
    const files = adapted.kerasSaveAssets();
    expect(new TextDecoder().decode(files['vocabulary.txt'])).toBe('[UNK]\ny\nx');
    const state = adapted.kerasSaveState();
    expect(Object.keys(state)).toEqual(['idf_weights']);
    expect(state.idf_weights.shape).toEqual([3]);

    // What loading a .keras file does: config, then the weights file's state, then the assets.
    const again = StringLookup.fromConfig(config);
    // The depth is known from the config before the vocabulary arrives.
    expect(again.computeOutputShape([null, 3])).toEqual([null, 3]);
    again.kerasLoadState(state);
    again.kerasLoadAssets(files);
    expect(again.getVocabulary()).toEqual(adapted.getVocabulary());
    expect(Array.from(again.idfWeights!)).toEqual(Array.from(adapted.idfWeights!));
    expect(again.getConfig()).toEqual({ ...config, name: again.name });

    // Formats without assets get the same state as config entries.
    const inline = adapted.kerasInlineAssets();
    expect(inline).toEqual({ vocabulary: ['[UNK]', 'y', 'x'], idf_weights: Array.from(adapted.idfWeights!) });
    const fromInline = new StringLookup({
      outputMode: 'tf_idf',
      maskToken: '',
      vocabulary: inline.vocabulary as string[],
      idfWeights: inline.idf_weights as number[],
    });
    expect(Array.from(fromInline.idfWeights!)).toEqual(Array.from(adapted.idfWeights!));
  });

  it('reads integer vocabulary files and Python line breaks, and names a missing file', () => {
    const layer = new IntegerLookup({ maskToken: 0 });
    layer.kerasLoadAssets({ 'vocabulary.txt': new TextEncoder().encode('0\r\n-1\n7\n5\n\n') });
    expect(layer.getVocabulary()).toEqual([0, -1, 7, 5]);
    expect(() => new StringLookup().kerasLoadAssets({}, 'assets/layers/string_lookup/')).toThrow(
      "'assets/layers/string_lookup/vocabulary.txt'",
    );
    expect(() =>
      new IntegerLookup().kerasLoadAssets({ 'vocabulary.txt': new TextEncoder().encode('-1\nseven') }),
    ).toThrow('Received: "seven"');
  });

  it('reads files that earlier Strata versions wrote (vocabularyDtype in a StringLookup config)', () => {
    const layer = StringLookup.fromConfig({
      vocabulary: ['a'],
      vocabularyDtype: 'string',
      vocabularySize: 2,
    });
    expect(layer.getVocabulary()).toEqual(['[UNK]', 'a']);
  });
});
