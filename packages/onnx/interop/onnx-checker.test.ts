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
  return { mlp, cnn, sequence: new Model({ inputs: x, outputs: y }) };
}

describe.skipIf(!enabled)('onnx.checker and Python onnxruntime on exported files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-onnx-interop-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('check_model(full_check=True) passes; Python onnxruntime equals predict', async () => {
    const cases: { file: string; inputs: Record<string, { shape: number[]; data: number[] }> }[] = [];
    const wants = new Map<string, { model: Model; x: tf.Tensor }>();
    for (const [name, model] of Object.entries(models())) {
      const file = path.join(dir, `${name}.onnx`);
      await model.export(file, { format: 'onnx' });
      const shape = [3, ...model.inputs[0].shape.slice(1).map((d) => d as number)];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
      cases.push({ file, inputs: { [model.inputNames[0]]: { shape, data: Array.from(x.dataSync()) } } });
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
      expect(r.opset).toBe(17);
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
