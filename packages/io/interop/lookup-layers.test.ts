/**
 * Keras 3 ⇄ Strata for adapted lookup layers (TextVectorization, StringLookup, IntegerLookup), both
 * directions, with real Keras in a Python venv. Off by default; runs when STRATA_INTEROP=1 and the venv's
 * python can import keras, h5py and tensorflow (Keras's lookup layers need TensorFlow even on the JAX
 * backend). See lookup_layers.py for the Keras side.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { input, Model, type SymbolicTensor } from '@strata/core';
import { expectClose, expectNoLeakedTensors } from '@strata/core/testing';
import { Dense, Embedding, IntegerLookup, StringLookup, TextVectorization } from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../src/index.js';
import { PYTHON, pythonCanImport, pythonEnv } from './python.js';

const here = fileURLToPath(new URL('.', import.meta.url));

const enabled = pythonCanImport(['keras', 'h5py', 'tensorflow']);

interface KerasReport {
  error?: string;
  vocabulary: (string | number)[];
  idf: number[] | null;
  outputs: { shape: number[]; values: number[] };
  inputs?: { shape: number[]; values: (string | number)[] };
  members: string[];
  assets: Record<string, string>;
  named_weights: Record<string, number[]>;
  layer_config: Record<string, unknown>;
}

interface Corpus {
  corpus: string[];
  texts: string[];
  tags: string[][];
  tag_queries: string[][];
  codes: number[][];
  code_queries: number[][];
}

type Lookup = TextVectorization | StringLookup | IntegerLookup;

const NAMES = ['text_tf_idf', 'text_multi_hot', 'string_lookup_count', 'integer_lookup_int'];

function toTensor(inp: { shape: number[]; values: (string | number)[] }): tf.Tensor {
  return typeof inp.values[0] === 'string'
    ? tf.tensor(inp.values as string[], inp.shape, 'string')
    : tf.tensor(inp.values as number[], inp.shape, 'int32');
}

function lookupOf(model: Model): Lookup {
  const found = model.layers.find(
    (l) => l instanceof TextVectorization || l instanceof StringLookup || l instanceof IntegerLookup,
  );
  if (!found) throw new Error('no lookup layer');
  return found as Lookup;
}

describe.skipIf(!enabled)('Keras 3 interop: adapted lookup layers (Python)', () => {
  let dir = '';
  let corpus: Corpus;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-lookup-interop-'));
    execFileSync(PYTHON, [join(here, 'lookup_layers.py'), 'write', join(dir, 'keras')], {
      stdio: 'inherit',
      env: pythonEnv,
    });
    corpus = JSON.parse(readFileSync(join(dir, 'keras', 'corpus.json'), 'utf8')) as Corpus;
    // TensorFlow's start-up alone takes a minute or two on a loaded 2-core machine.
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of NAMES) {
    it(`Strata loads Keras's ${name} with Keras's vocabulary, idf weights and outputs`, async () => {
      const g = JSON.parse(readFileSync(join(dir, 'keras', `${name}.json`), 'utf8')) as KerasReport;
      const model = await loadModel(join(dir, 'keras', `${name}.keras`));
      const lookup = lookupOf(model);
      expect(lookup.getVocabulary()).toEqual(g.vocabulary);
      if (g.idf) expectClose(lookup.idfWeights!, g.idf, 1e-6);
      else expect(lookup.idfWeights).toBeNull();
      const x = toTensor(g.inputs!);
      const y = await expectNoLeakedTensors(() => model.predict(x) as tf.Tensor);
      expect(y.shape).toEqual(g.outputs.shape);
      expectClose(y.dataSync() as Float32Array, g.outputs.values);
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  it('Keras loads what Strata writes: same assets, idf weights, vocabulary and outputs', async () => {
    const out = join(dir, 'strata');
    mkdirSync(out, { recursive: true });
    const text = (lookup: TextVectorization) => {
      lookup.adapt(corpus.corpus);
      const x = input({ shape: [1], dtype: 'string' });
      return {
        model: new Model({
          inputs: x,
          outputs: new Dense({ units: 3 }).apply(lookup.apply(x) as SymbolicTensor),
        }),
        inputs: { shape: [corpus.texts.length, 1], values: corpus.texts },
      };
    };
    const models: Record<string, { model: Model; inputs: { shape: number[]; values: (string | number)[] } }> =
      {
        text_tf_idf: text(new TextVectorization({ outputMode: 'tf_idf', ngrams: 2 })),
        text_multi_hot: text(
          new TextVectorization({ outputMode: 'multi_hot', maxTokens: 10, padToMaxTokens: true }),
        ),
      };
    {
      const lookup = new StringLookup({ outputMode: 'count', maskToken: '' });
      lookup.adapt(corpus.tags);
      const x = input({ shape: [3], dtype: 'string' });
      models.string_lookup_count = {
        model: new Model({
          inputs: x,
          outputs: new Dense({ units: 2 }).apply(lookup.apply(x) as SymbolicTensor),
        }),
        inputs: { shape: [corpus.tag_queries.length, 3], values: corpus.tag_queries.flat() },
      };
      const ints = new IntegerLookup({ maskToken: 0 });
      ints.adapt(corpus.codes);
      const xi = input({ shape: [3], dtype: 'int64' });
      models.integer_lookup_int = {
        model: new Model({
          inputs: xi,
          outputs: new Embedding({ inputDim: 8, outputDim: 2 }).apply(ints.apply(xi) as SymbolicTensor),
        }),
        inputs: { shape: [corpus.code_queries.length, 3], values: corpus.code_queries.flat() },
      };
    }
    const manifest: unknown[] = [];
    const expected: Record<string, { values: Float32Array; shape: number[] }> = {};
    for (const [name, { model, inputs }] of Object.entries(models)) {
      const x = toTensor(inputs);
      const y = model.predict(x) as tf.Tensor;
      expected[name] = { values: y.dataSync() as Float32Array, shape: y.shape };
      tf.dispose([x, y]);
      await expectNoLeakedTensors(() => saveModel(model, join(out, `${name}.keras`)));
      manifest.push({ name, file: `${name}.keras`, inputs, int: typeof inputs.values[0] === 'number' });
    }
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
    execFileSync(PYTHON, [join(here, 'lookup_layers.py'), 'check', out], {
      stdio: 'inherit',
      env: pythonEnv,
    });
    const results = JSON.parse(readFileSync(join(out, 'keras_results.json'), 'utf8')) as Record<
      string,
      KerasReport
    >;
    for (const name of NAMES) {
      const r = results[name];
      expect(r.error, name).toBeUndefined();
      // What Keras itself wrote when it adapted the same data: the files must match member for member.
      const k = JSON.parse(readFileSync(join(dir, 'keras', `${name}.json`), 'utf8')) as KerasReport;
      expect(r.members, name).toEqual(k.members);
      expect(r.assets, name).toEqual(k.assets);
      expect(Object.keys(r.named_weights).sort(), name).toEqual(Object.keys(k.named_weights).sort());
      for (const [path, values] of Object.entries(k.named_weights))
        expectClose(r.named_weights[path], values, 1e-6);
      expect(r.layer_config.vocabulary, name).toBeNull();
      expect(r.layer_config.vocabulary_size, name).toBe(k.layer_config.vocabulary_size);
      const lookup = lookupOf(models[name].model);
      expect(r.vocabulary, name).toEqual(lookup.getVocabulary());
      expect(r.vocabulary, name).toEqual(k.vocabulary);
      expect(r.outputs.shape, name).toEqual(expected[name].shape);
      expectClose(r.outputs.values, expected[name].values);
    }
    for (const { model } of Object.values(models)) model.dispose();
  });
});
