// TextVectorization's bag-of-words modes, n-grams and Keras's input-shape rules. Expected values are
// worked out by hand (noted beside each), not read back from the layer.
import { input, Model, type SymbolicTensor } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { Dense } from '../core/dense.js';
import { TextVectorization } from './text-vectorization.js';

const idf = (docs: number, containing: number) => Math.fround(Math.log(1 + docs / (1 + containing)));
const mean = (xs: number[]) => Math.fround(xs.reduce((a, b) => a + b, 0) / xs.length);

async function run(layer: TextVectorization, x: unknown): Promise<tf.Tensor> {
  return (await expectNoLeakedTensors(() => layer.apply(x as tf.Tensor))) as tf.Tensor;
}

describe('TextVectorization output modes', () => {
  // After standardizing: "the cat sat", "the dog sat", "the cat the cat", "a dog".
  // Counts: the 4, cat 3, sat 2, dog 2, a 1 (ties to the larger token). Documents containing each:
  // the 3, cat 2, sat 2, dog 2, a 1, out of 4.
  const corpus = ['The cat sat.', 'The dog sat!', 'the cat, the cat', 'A dog?'];

  it("'multi_hot' and 'count': one row per text, '[UNK]' in column 0 and no padding column", async () => {
    const multi = new TextVectorization({ outputMode: 'multi_hot' });
    multi.adapt(corpus);
    expect(multi.getVocabulary()).toEqual(['[UNK]', 'the', 'cat', 'sat', 'dog', 'a']);
    const m = await run(multi, ['the cat ran', 'Dog, dog.']);
    expect(m.dtype).toBe('float32');
    expect(m.arraySync()).toEqual([
      [1, 1, 1, 0, 0, 0],
      [0, 0, 0, 0, 1, 0],
    ]);
    const count = new TextVectorization({ outputMode: 'count', maxTokens: 4 });
    count.adapt(corpus);
    expect(count.getVocabulary()).toEqual(['[UNK]', 'the', 'cat', 'sat']);
    const c = await run(count, [['the cat ran the dog']]);
    expect(c.arraySync()).toEqual([[2, 2, 1, 0]]);
    tf.dispose([m, c]);
  });

  it("'tf_idf' learns ln(1 + texts / (1 + texts containing the token)) and scales counts by it", async () => {
    const layer = new TextVectorization({ outputMode: 'tf_idf', maxTokens: 8, padToMaxTokens: true });
    layer.adapt(corpus);
    const w = [idf(4, 3), idf(4, 2), idf(4, 2), idf(4, 2), idf(4, 1)];
    expectTensorsClose(Array.from(layer.idfWeights!), [mean(w), ...w, 0, 0]);
    const out = await run(layer, ['the the cat zebra']);
    expectTensorsClose(out, [[mean(w), 2 * w[0], w[1], 0, 0, 0, 0, 0]], { atol: 1e-6 });
    out.dispose();
  });

  it('adds n-grams: every n-gram of each width, joined by a space, in width order', async () => {
    // "a b c" and "a b" with bigrams: a 2, b 2, "a b" 2, c 1, "b c" 1 → ties to the larger string.
    const layer = new TextVectorization({ ngrams: 2, outputSequenceLength: 6 });
    layer.adapt(['a b c', 'a b']);
    expect(layer.getVocabulary()).toEqual(['', '[UNK]', 'b', 'a b', 'a', 'c', 'b c']);
    // "a b c z" → a, b, c, z, then "a b", "b c", "c z"; the 7th is cut by outputSequenceLength.
    const ids = await run(layer, ['a b c z']);
    expect(ids.arraySync()).toEqual([[4, 2, 5, 1, 3, 6]]);
    // Widths 1 and 3 only; a text shorter than a width has none of that width.
    const widths = new TextVectorization({ ngrams: [1, 3], outputMode: 'count' });
    widths.adapt(['a b c d', 'a b']);
    expect(widths.getVocabulary()).toEqual(['[UNK]', 'b', 'a', 'd', 'c', 'b c d', 'a b c']);
    const counts = await run(widths, ['a b c', 'd']);
    expect(counts.arraySync()).toEqual([
      [0, 1, 1, 0, 1, 0, 1],
      [0, 0, 0, 1, 0, 0, 0],
    ]);
    expect(() => new TextVectorization({ ngrams: 'x' as never })).toThrow(
      '`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams="x"',
    );
    expect(new TextVectorization({ ngrams: [1, 3] }).getConfig().ngrams).toEqual([1, 3]);
    tf.dispose([ids, counts]);
  });

  it('follows Keras on input shapes: [n] or [n, 1] with a split; the last axis as the sequence without', async () => {
    const layer = new TextVectorization({ outputMode: 'multi_hot', vocabulary: ['a', 'b'] });
    expect(() => layer.apply([['a b', 'b']])).toThrow(
      'the input rank must be 1 or the last shape dimension must be 1. Received: inputs.shape=[1, 2] with rank=2',
    );
    const column = await run(layer, tf.tensor([['a'], ['b b']], [2, 1], 'string'));
    expect(column.arraySync()).toEqual([
      [0, 1, 0],
      [0, 0, 1],
    ]);
    // Without a split a flat list is one sequence of tokens: one row out.
    const whole = new TextVectorization({ split: null, outputMode: 'multi_hot', vocabulary: ['a b', 'c'] });
    const one = await run(whole, ['a b', 'c']);
    expect(one.arraySync()).toEqual([0, 1, 1]);
    const rows = await run(whole, [['A b'], ['z'], ['']]);
    expect(rows.arraySync()).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    const hot = new TextVectorization({ split: null, outputMode: 'one_hot', vocabulary: ['x', 'y'] });
    const h = await run(hot, [['y'], ['q']]);
    expect(h.arraySync()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    expect(() => new TextVectorization({ outputMode: 'one_hot', vocabulary: ['x'] }).apply(['x'])).toThrow(
      'ragged output',
    );
    tf.dispose([column, one, rows, h]);
  });

  it('standardizes and splits as TensorFlow does: ASCII lower-casing, ASCII whitespace', async () => {
    const layer = new TextVectorization({
      vocabulary: ['école', 'École', 'a\u00a0b'],
      outputSequenceLength: 3,
    });
    // 'ÉCOLE' lower-cases to 'École' (É is not ASCII); a no-break space does not split.
    const out = await run(layer, ['ÉCOLE a\u00a0b\tx']);
    expect(out.arraySync()).toEqual([[3, 4, 1]]);
    out.dispose();
  });

  it('rejects arguments Keras rejects, naming what was received', () => {
    expect(() => new TextVectorization({ outputMode: 'x' as never })).toThrow(
      "Unknown value for `output_mode` argument of TextVectorization. Allowed values are: ('int', 'one_hot', " +
        "'multi_hot', 'count', 'tf_idf'). Received: output_mode=x",
    );
    expect(() => new TextVectorization({ outputMode: 'count', outputSequenceLength: 3 })).toThrow(
      "`output_sequence_length` must not be set if `output_mode` is not 'int'. Received output_sequence_length=3.",
    );
    expect(() => new TextVectorization({ ragged: true })).toThrow(
      '`ragged=True` can only be used with the TensorFlow backend.',
    );
    expect(() => new TextVectorization({ outputMode: 'tf_idf', vocabulary: ['a'] })).toThrow(
      'the `idf_weights` argument must also be provided',
    );
    expect(() => new TextVectorization({ outputMode: 'count' }).apply(['a'])).toThrow(
      "you must set the layer's vocabulary before calling it",
    );
  });

  it('starts a functional model on a string input, with the output depth known from the vocabulary', async () => {
    const layer = new TextVectorization({ outputMode: 'tf_idf', vocabulary: ['a', 'b'], idfWeights: [1, 3] });
    const x = input({ shape: [1], dtype: 'string' });
    const bag = layer.apply(x) as SymbolicTensor;
    expect(bag.shape).toEqual([null, 3]);
    expect(bag.dtype).toBe('float32');
    const dense = new Dense({ units: 1, useBias: false, kernelInitializer: 'ones' });
    const model = new Model({ inputs: x, outputs: dense.apply(bag) as SymbolicTensor });
    const data = tf.tensor([['b a b'], ['c']], [2, 1], 'string');
    // OOV column weight: the mean of 1 and 3. Row 1: a·1 + 2·b·3 = 7; row 2: one OOV token = 2.
    const y = (await expectNoLeakedTensors(() => model.predict(data))) as tf.Tensor;
    expectTensorsClose(y, [[7], [2]]);
    tf.dispose([data, y]);
    model.dispose();
  });

  it('saves an adapted tf_idf state as Keras does and loads it back', () => {
    const layer = new TextVectorization({ outputMode: 'tf_idf' });
    layer.adapt(['x y', 'y']);
    expect(layer.kerasSaveChildren()).toHaveProperty('_lookup_layer');
    const config = layer.getConfig();
    expect(config).toMatchObject({
      vocabulary: null,
      idfWeights: null,
      vocabularySize: 3,
      outputMode: 'tf_idf',
    });
    const again = TextVectorization.fromConfig(config);
    again.kerasLoadState(layer.kerasSaveState());
    again.kerasLoadAssets(layer.kerasSaveAssets());
    expect(again.getVocabulary()).toEqual(['[UNK]', 'y', 'x']);
    expect(Array.from(again.idfWeights!)).toEqual(Array.from(layer.idfWeights!));
    expect(again.kerasInlineAssets()).toEqual({
      vocabulary: ['[UNK]', 'y', 'x'],
      idf_weights: Array.from(layer.idfWeights!),
    });
  });
});
