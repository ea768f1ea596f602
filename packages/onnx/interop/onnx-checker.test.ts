// STRATA_INTEROP=1: the ONNX package's full checker accepts Strata's exported files, and Python's
// onnxruntime gives Strata's predict on them (within 1e-5). Skips without the venv.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { input, Model, Sequential } from '@strata/core';
import * as L from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import '../src/index.js';
import { PYTHON, pythonCanImport, pythonEnv } from '../../io/interop/python.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const enabled = pythonCanImport(['onnx', 'onnxruntime', 'numpy']);

function models(): Record<string, Model> {
  const mlp = new Sequential([
    new L.InputLayer({ shape: [6] }),
    new L.Dense({ units: 8, activation: 'gelu' }),
    new L.Dropout({ rate: 0.2 }),
    new L.Dense({ units: 3, activation: 'softmax' }),
  ]);
  const cnn = new Sequential([
    new L.InputLayer({ shape: [8, 8, 2] }),
    new L.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new L.BatchNormalization({}),
    new L.MaxPooling2D({ poolSize: 2 }),
    new L.SeparableConv2D({ filters: 3, kernelSize: 2 }),
    new L.GlobalAveragePooling2D({}),
    new L.Dense({ units: 2 }),
  ]);
  const x = input({ shape: [5, 3] });
  const h = new L.Bidirectional({ layer: new L.LSTM({ units: 4, returnSequences: true }) }).apply(x);
  const a = new L.MultiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([h, h]);
  const y = new L.GRU({ units: 3 }).apply(new L.LayerNormalization({}).apply(a));
  // A Masking mask into Bidirectional and MultiHeadAttention: a Loop of one-step LSTMs.
  const m = input({ shape: [5, 3] });
  const masked = new L.Masking({ maskValue: 0 }).apply(m);
  const bi = new L.Bidirectional({ layer: new L.LSTM({ units: 2, returnSequences: true }) }).apply(masked);
  const attended = new L.MultiHeadAttention({ numHeads: 1, keyDim: 2 }).apply([bi, bi]) as typeof bi;
  // TextVectorization with punctuation stripping and bigrams (opset 20, Tokenizer, LabelEncoder, a Loop).
  const s = input({ shape: [1], dtype: 'string' });
  const vectorize = new L.TextVectorization({ outputMode: 'tf_idf', ngrams: 2 });
  vectorize.adapt(['The cat sat.', 'A dog, a cat!']);
  return {
    mlp,
    cnn,
    sequence: new Model({ inputs: x, outputs: y }),
    masked: new Model({ inputs: m, outputs: new L.GRU({ units: 2 }).apply(attended) }),
    text: new Model({ inputs: s, outputs: new L.Dense({ units: 2 }).apply(vectorize.apply(s) as typeof s) }),
  };
}

/** Inputs for a model of `models()`: three texts for the text model, else normal values (some zero timesteps). */
function sampleInput(name: string, model: Model): tf.Tensor {
  if (name === 'text') return tf.tensor([['the CAT, sat'], ['a dog'], ['']], [3, 1], 'string');
  const shape = [3, ...model.inputs[0].shape.slice(1).map((d) => d as number)];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
  if (name !== 'masked') return x;
  // Masked timesteps: the last two of the first row, the first of the second.
  const keep = tf.tensor3d([
    [[1], [1], [1], [0], [0]],
    [[0], [1], [1], [1], [1]],
    [[1], [1], [1], [1], [1]],
  ]);
  const out = tf.mul(x, keep);
  tf.dispose([x, keep]);
  return out;
}

describe.skipIf(!enabled)('onnx.checker and Python onnxruntime on exported files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-onnx-interop-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('check_model(full_check=True) passes; Python onnxruntime equals predict', async () => {
    const cases: {
      file: string;
      inputs: Record<string, { shape: number[]; data: unknown[]; dtype: string }>;
    }[] = [];
    const wants = new Map<string, { model: Model; x: tf.Tensor }>();
    for (const [name, model] of Object.entries(models())) {
      const file = path.join(dir, `${name}.onnx`);
      await model.export(file, { format: 'onnx' });
      const x = sampleInput(name, model);
      const data = x.dtype === 'string' ? [x.arraySync()].flat(2) : Array.from(x.dataSync());
      cases.push({ file, inputs: { [model.inputNames[0]]: { shape: x.shape, data, dtype: x.dtype } } });
      wants.set(file, { model, x });
    }
    const casesFile = path.join(dir, 'cases.json');
    fs.writeFileSync(casesFile, JSON.stringify(cases));
    const out = execFileSync(PYTHON, [path.join(here, 'check_onnx.py'), casesFile], {
      env: pythonEnv,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const results = JSON.parse(out.trim().split('\n').pop()!) as {
      file: string;
      ir_version: number;
      opset: number;
      batch_dims: string[];
      outputs: Record<string, { shape: number[]; data: number[] }>;
    }[];
    expect(results).toHaveLength(cases.length);
    for (const r of results) {
      // StringConcat (the text model's stripping and bigrams) needs opset 20.
      expect(r.opset).toBe(r.file.endsWith('text.onnx') ? 20 : 17);
      expect(r.batch_dims).toEqual(['batch']);
      const { model, x } = wants.get(r.file)!;
      const want = model.predict(x) as tf.Tensor;
      const got = r.outputs[model.outputNames[0]];
      expect(got.shape).toEqual(want.shape);
      const data = want.dataSync();
      got.data.forEach((v, i) => {
        expect(Math.abs(v - data[i])).toBeLessThanOrEqual(1e-5);
      });
      tf.dispose([want, x]);
    }
    // onnx and onnxruntime start in seconds alone, minutes on a loaded 2-core machine.
  }, 600_000);
});
