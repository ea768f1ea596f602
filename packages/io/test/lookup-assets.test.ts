// Adapted lookup layers in saved files, as Keras 3 writes them: the vocabulary as an asset file
// (`assets/<layer path>/vocabulary.txt`), TF-IDF weights as `vars/idf_weights` in the weights file, and
// the layer config without the vocabulary.
import { readFileSync } from 'node:fs';

import { input, Model, type SymbolicTensor } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import { Dense, IntegerLookup, StringLookup, TextVectorization } from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { loadModel, loadWeights, MemoryTarget, saveModel, saveWeights } from '../src/index.js';
import { getNode, type H5Dataset, readHdf5, readKerasArchive, writeKerasArchive } from '../src/internal.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';
import { fixtureBytes, fixturePath } from './fixture-helpers.js';

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

function layerConfig(config: Record<string, unknown>, className: string): Record<string, unknown> {
  const layers = (config.config as { layers: { class_name: string; config: Record<string, unknown> }[] })
    .layers;
  const found = layers.find((l) => l.class_name === className);
  if (!found) throw new Error(`no ${className} in the config`);
  return found.config;
}

/** A string input of shape [1] → TextVectorization → Dense(2). */
function textModel(layer: TextVectorization): Model {
  const x = input({ shape: [1], dtype: 'string' });
  const y = new Dense({ units: 2 }).apply(layer.apply(x) as SymbolicTensor) as SymbolicTensor;
  return new Model({ inputs: x, outputs: y });
}

function lookupOf<T>(model: Model, cls: abstract new (...args: never[]) => T): T {
  return model.layers.find((l) => l instanceof cls) as T;
}

async function predictBoth(a: Model, b: Model, x: tf.Tensor): Promise<[Float32Array, Float32Array]> {
  const ya = a.predict(x) as tf.Tensor;
  const yb = (await expectNoLeakedTensors(() => b.predict(x))) as tf.Tensor;
  const out: [Float32Array, Float32Array] = [ya.dataSync() as Float32Array, yb.dataSync() as Float32Array];
  tf.dispose([ya, yb]);
  return out;
}

describe('adapted lookup layers in .keras files', () => {
  it('Strata writes the vocabulary as Keras does: assets at both TextVectorization paths, idf in vars', async () => {
    // Documents "b a" and "a": a is in both, b in one. Vocabulary (non-int mode): [UNK], a, b.
    const tv = new TextVectorization({ outputMode: 'tf_idf' });
    tv.adapt(['b a', 'a']);
    const idfA = Math.fround(Math.log(1 + 2 / 3));
    const idfB = Math.fround(Math.log(1 + 2 / 2));
    const idf = [Math.fround((idfA + idfB) / 2), idfA, idfB];
    const model = textModel(tv);
    const mem = new MemoryTarget();
    await expectNoLeakedTensors(() => model.save(mem));
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    expect([...archive.assets!.keys()]).toEqual([
      'layers/text_vectorization/_lookup_layer/vocabulary.txt',
      'layers/text_vectorization/vocabulary.txt',
    ]);
    for (const data of archive.assets!.values()) expect(text(data)).toBe('[UNK]\na\nb');
    const cfg = layerConfig(archive.config, 'TextVectorization');
    expect(cfg.vocabulary).toBeNull();
    expect(cfg.idf_weights).toBeNull();
    expect(cfg.vocabulary_size).toBe(3);
    const tree = await readHdf5(archive.weights, DEFAULT_READ_LIMITS, 'weights');
    for (const path of [
      'layers/text_vectorization/vars/idf_weights',
      'layers/text_vectorization/_lookup_layer/vars/idf_weights',
    ]) {
      const ds = getNode(tree, path) as H5Dataset;
      expect(ds.shape).toEqual([3]);
      expect(Array.from(ds.data as Float32Array)).toEqual(idf);
    }

    const before = tf.memory().numTensors;
    const loaded = (await loadModel(mem)) as unknown as Model;
    expect(tf.memory().numTensors - before).toBe(loaded.weights.length);
    const again = lookupOf(loaded, TextVectorization);
    expect(again.getVocabulary()).toEqual(['[UNK]', 'a', 'b']);
    expect(Array.from(again.idfWeights!)).toEqual(idf);
    const x = tf.tensor([['a b b'], ['c']], [2, 1], 'string');
    const [a, b] = await predictBoth(model, loaded, x);
    expect(Array.from(b)).toEqual(Array.from(a));
    tf.dispose(x);
    loaded.dispose();
    model.dispose();
  });

  it('StringLookup and IntegerLookup assets hold the special tokens first, one token a line', async () => {
    const s = new StringLookup({ outputMode: 'multi_hot' });
    s.adapt([
      ['x', 'y'],
      ['y', 'z'],
    ]);
    const ints = new IntegerLookup({ maskToken: 0 });
    ints.adapt([5, 7, 7, 0]);
    const xs = input({ shape: [2], dtype: 'string' });
    const xi = input({ shape: [3], dtype: 'int32' });
    const model = new Model({
      inputs: [xs, xi],
      outputs: [s.apply(xs) as SymbolicTensor, ints.apply(xi) as SymbolicTensor],
    });
    const mem = new MemoryTarget();
    await saveModel(model, mem);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    // Counts: y 2, then x and z once each, the larger first; the mask token 0 is never learned.
    expect(text(archive.assets!.get('layers/string_lookup/vocabulary.txt'))).toBe('[UNK]\ny\nz\nx');
    expect(text(archive.assets!.get('layers/integer_lookup/vocabulary.txt'))).toBe('0\n-1\n7\n5');
    expect(layerConfig(archive.config, 'StringLookup')).not.toHaveProperty('vocabulary_dtype');
    const loaded = (await loadModel(mem)) as unknown as Model;
    expect(lookupOf(loaded, StringLookup).getVocabulary()).toEqual(['[UNK]', 'y', 'z', 'x']);
    expect(lookupOf(loaded, IntegerLookup).getVocabulary()).toEqual([0, -1, 7, 5]);
    const inputs = [tf.tensor([['x', 'q']], [1, 2], 'string'), tf.tensor2d([[7, 0, 9]], undefined, 'int32')];
    const out = loaded.predict(inputs) as tf.Tensor[];
    expect(out[0].arraySync()).toEqual([[1, 0, 0, 1]]);
    expect(out[1].arraySync()).toEqual([[2, 0, 1]]);
    tf.dispose([...inputs, ...out]);
    loaded.dispose();
    model.dispose();
  });

  it('a vocabulary given to the constructor stays in the config, with no asset', async () => {
    const model = textModel(new TextVectorization({ outputMode: 'count', vocabulary: ['a', 'b'] }));
    const mem = new MemoryTarget();
    await saveModel(model, mem);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    expect(archive.assets!.size).toBe(0);
    expect(layerConfig(archive.config, 'TextVectorization').vocabulary).toEqual(['a', 'b']);
    const loaded = (await loadModel(mem)) as unknown as Model;
    expect(lookupOf(loaded, TextVectorization).getVocabulary()).toEqual(['[UNK]', 'a', 'b']);
    loaded.dispose();
    model.dispose();
  });

  it('loads files that Strata wrote before assets, with the adapted vocabulary in the config', async () => {
    const tv = new TextVectorization({ outputSequenceLength: 3 });
    tv.adapt(['the cat', 'the']);
    const model = textModel(tv);
    const mem = new MemoryTarget();
    await saveModel(model, mem);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    // What earlier Strata versions wrote: the learned tokens in the config, no assets.
    const cfg = layerConfig(archive.config, 'TextVectorization');
    cfg.vocabulary = ['the', 'cat'];
    const old = writeKerasArchive({ ...archive, assets: new Map() });
    const loaded = (await loadModel(old)) as unknown as Model;
    expect(lookupOf(loaded, TextVectorization).getVocabulary()).toEqual(['', '[UNK]', 'the', 'cat']);
    const x = tf.tensor([['cat the dog']], [1, 1], 'string');
    const [a, b] = await predictBoth(model, loaded, x);
    expect(Array.from(b)).toEqual(Array.from(a));
    tf.dispose(x);
    loaded.dispose();
    model.dispose();
  });

  it('fails naming the missing asset, and leaves no tensors behind', async () => {
    const a = new StringLookup();
    a.adapt(['p', 'q']);
    const b = new StringLookup();
    b.adapt(['r']);
    const x = input({ shape: [1], dtype: 'string' });
    const model = new Model({
      inputs: x,
      outputs: [a.apply(x) as SymbolicTensor, b.apply(x) as SymbolicTensor],
    });
    const mem = new MemoryTarget();
    await saveModel(model, mem);
    const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
    archive.assets!.delete('layers/string_lookup_1/vocabulary.txt');
    const broken = writeKerasArchive(archive);
    const before = tf.memory().numTensors;
    await expect(loadModel(broken)).rejects.toThrow("'assets/layers/string_lookup_1/vocabulary.txt'");
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('legacy .h5 and TF.js files keep an adapted vocabulary and idf weights in the config', async () => {
    const lookup = new StringLookup({ outputMode: 'tf_idf', maxTokens: 5, padToMaxTokens: true });
    lookup.adapt([
      ['a', 'b'],
      ['a', 'a'],
      ['c', 'a'],
    ]);
    const x = input({ shape: [2], dtype: 'string' });
    const model = new Model({
      inputs: x,
      outputs: new Dense({ units: 2 }).apply(lookup.apply(x) as SymbolicTensor),
    });
    const q = tf.tensor(
      [
        ['a', 'c'],
        ['z', 'b'],
      ],
      [2, 2],
      'string',
    );
    for (const format of ['h5', 'tfjs'] as const) {
      const mem = new MemoryTarget();
      await saveModel(model, mem, { format });
      const loaded = (await loadModel(mem)) as unknown as Model;
      const again = lookupOf(loaded, StringLookup);
      expect(again.getVocabulary()).toEqual(lookup.getVocabulary());
      expect(Array.from(again.idfWeights!)).toEqual(Array.from(lookup.idfWeights!));
      const [a, b] = await predictBoth(model, loaded, q);
      expect(Array.from(b)).toEqual(Array.from(a));
      loaded.dispose();
    }
    tf.dispose(q);
    model.dispose();
  });

  it('loadWeights restores TF-IDF weights from a .weights.h5 file, as Keras load_weights does', async () => {
    const tv = new TextVectorization({ outputMode: 'tf_idf' });
    tv.adapt(['a b', 'a', 'c']);
    const model = textModel(tv);
    const weights = new MemoryTarget();
    await saveWeights(model, weights);
    const mem = new MemoryTarget();
    await saveModel(model, mem);
    const other = (await loadModel(mem)) as unknown as Model;
    const otherTv = lookupOf(other, TextVectorization);
    // Same vocabulary, other weights: loadWeights must bring back the saved ones.
    const expected = Array.from(tv.idfWeights!);
    otherTv.kerasLoadState({
      idf_weights: { values: new Float32Array(expected.length).fill(9), shape: [4] },
    });
    await expectNoLeakedTensors(() => loadWeights(other, weights));
    expect(Array.from(otherTv.idfWeights!)).toEqual(expected);
    other.dispose();
    model.dispose();
  });
});

describe('Keras 3.15 files with adapted lookup layers (committed fixtures)', () => {
  interface Expected {
    inputs: { shape: number[]; values: (string | number)[] };
    vocabulary: (string | number)[];
    idf: number[] | null;
    outputs: { shape: number[]; values: number[] };
    assets: Record<string, string>;
  }
  const cases: [string, new (...args: never[]) => unknown][] = [
    ['keras3.15-text-vectorization-tfidf', TextVectorization],
    ['keras3.15-integer-lookup-mask', IntegerLookup],
  ];
  for (const [name, cls] of cases) {
    it.skipIf(!fixturePath(`${name}.keras`))(
      `${name}: Keras's vocabulary, idf weights and outputs`,
      async () => {
        const g = JSON.parse(readFileSync(fixturePath(`${name}.json`)!, 'utf8')) as Expected;
        const bytes = fixtureBytes(`${name}.keras`);
        const archive = readKerasArchive(bytes, DEFAULT_READ_LIMITS);
        expect(Object.fromEntries([...archive.assets!].map(([k, v]) => [`assets/${k}`, text(v)]))).toEqual(
          g.assets,
        );
        const model = (await loadModel(bytes)) as unknown as Model;
        const lookup = lookupOf(model, cls) as TextVectorization | IntegerLookup;
        expect(lookup.getVocabulary()).toEqual(g.vocabulary);
        if (g.idf) {
          const idf = Array.from(lookup.idfWeights!);
          g.idf.forEach((v, i) => {
            expect(idf[i]).toBeCloseTo(v, 6);
          });
        }
        const x =
          typeof g.inputs.values[0] === 'string'
            ? tf.tensor(g.inputs.values as string[], g.inputs.shape, 'string')
            : tf.tensor(g.inputs.values as number[], g.inputs.shape, 'int32');
        const y = (await expectNoLeakedTensors(() => model.predict(x))) as tf.Tensor;
        expect(y.shape).toEqual(g.outputs.shape);
        const got = y.dataSync();
        g.outputs.values.forEach((v, i) => {
          expect(got[i]).toBeCloseTo(v, 5);
        });
        tf.dispose([x, y]);
        model.dispose();
      },
    );
  }
});
