// STRATA_INTEROP=1: Keras 3's own ONNX export (torch backend, through torch.onnx) of each `.keras` fixture
// next to Strata's export of the same file: Python's onnxruntime gives the same outputs (within 1e-5)
// wherever Keras's file reproduces Keras's own predict. Where Keras's export fails, or gives a file that
// does not (it freezes a lookup layer into a constant), the reason is logged. Skips without the venv, torch
// and onnxscript.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Model } from '@strata/core';
import '@strata/layers';
import { loadModel } from '@strata/io';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import '../src/index.js';
import { PYTHON, pythonCanImport, pythonEnv } from '../../io/interop/python.js';
import { layerClassName } from '../src/converters/converter.js';
import { toOnnx } from '../src/index.js';
import { fixtureFiles, fixtureInputs } from '../test/fixture-inputs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const enabled = pythonCanImport(['keras', 'onnx', 'onnxruntime', 'numpy', 'torch', 'onnxscript']);

// torch.onnx traces Keras's recurrent loop one timestep at a time: the shared 4,447-step LSTM fixture takes
// 15 minutes to export on a loaded 2-core machine. Recurrent models on longer sequences are left out.
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'RNN']);
const MAX_TRACED_STEPS = 256;

interface Output {
  shape: number[];
  data: number[];
}

/** The largest difference of two lists of outputs (absolute, relative above 1), or Infinity if shapes differ. */
function largestDifference(a: Output[], b: Output[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  a.forEach((x, i) => {
    if (JSON.stringify(x.shape) !== JSON.stringify(b[i].shape)) worst = Number.POSITIVE_INFINITY;
    x.data.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - b[i].data[j]) / Math.max(1, Math.abs(b[i].data[j])));
    });
  });
  return Number.isNaN(worst) ? Number.POSITIVE_INFINITY : worst;
}

describe.skipIf(!enabled)("Keras 3's ONNX export and Strata's, of the same .keras files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-keras-onnx-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('give the same outputs in onnxruntime wherever Keras exports faithfully', async () => {
    const cases: Record<string, unknown>[] = [];
    for (const file of fixtureFiles().filter((f) => f.endsWith('.keras'))) {
      let model: Model;
      try {
        model = await loadModel(file, { warn: () => {} });
      } catch {
        continue; // the fixture suites report the files Strata does not load
      }
      const name = path.basename(file, '.keras');
      const steps = Math.max(0, ...model.inputs.map((t) => t.shape[1] ?? 0));
      if (steps > MAX_TRACED_STEPS && model.layers.some((l) => RECURRENT.has(layerClassName(l)))) {
        console.log(`${name}.keras: left out: torch's tracer unrolls its ${steps} recurrent steps (minutes)`);
        model.dispose();
        continue;
      }
      const strataOnnx = path.join(dir, `${name}.strata.onnx`);
      fs.writeFileSync(strataOnnx, toOnnx(model));
      const xs = fixtureInputs(model, file);
      cases.push({
        keras: file,
        strata_onnx: strataOnnx,
        keras_onnx: path.join(dir, `${name}.keras.onnx`),
        inputs: xs.map((x) => ({
          shape: x.shape,
          dtype: x.dtype,
          data: [x.arraySync()].flat(x.rank + 1),
        })),
      });
      tf.dispose(xs);
      model.dispose();
    }
    const casesFile = path.join(dir, 'cases.json');
    fs.writeFileSync(casesFile, JSON.stringify(cases));
    const out = execFileSync(PYTHON, [path.join(here, 'keras_onnx.py'), casesFile], {
      env: pythonEnv,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const results = JSON.parse(out.trim().split('\n').pop()!) as {
      keras: string;
      strata_onnx: Output[];
      keras_predict?: Output[];
      keras_onnx?: Output[];
      keras_error?: string;
    }[];
    expect(results).toHaveLength(cases.length);
    const compared: string[] = [];
    for (const r of results) {
      const name = path.basename(r.keras);
      if (r.keras_error) {
        console.log(`${name}: Keras's ONNX export fails: ${r.keras_error}`);
        continue;
      }
      const faithful = largestDifference(r.keras_onnx!, r.keras_predict!);
      if (!(faithful <= 1e-5)) {
        const by = Number.isFinite(faithful) ? `by ${faithful.toExponential(2)}` : 'in its output shapes';
        console.log(`${name}: Keras's ONNX file differs from Keras's predict ${by}; not compared`);
        continue;
      }
      const difference = largestDifference(r.strata_onnx, r.keras_onnx!);
      console.log(`${name}: Strata's and Keras's ONNX files differ by ${difference.toExponential(2)}`);
      expect(difference, name).toBeLessThanOrEqual(1e-5);
      compared.push(name);
    }
    // Keras's export of the committed MLP and CNNs works (torch 2.13, onnxscript 0.7).
    expect(compared).toEqual(expect.arrayContaining(['mnist-mlp-seq.keras', 'mnist-cnn-seq.keras']));
    // Keras and torch start in tens of seconds alone, minutes on a loaded 2-core machine.
  }, 900_000);
});
