/**
 * Keras 3 ⇄ Strata, both directions, with real Keras in a Python venv. Off by default; runs when
 * STRATA_INTEROP=1 and the venv's python can import keras (see vitest.config.ts in this folder).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { input, Model, Sequential, type SymbolicTensor } from '@strata/core';
import { expectClose } from '@strata/core/testing';
import {
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  LSTM,
  MaxPooling2D,
  MultiHeadAttention,
} from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, loadWeights, saveModel, saveWeights } from '../src/index.js';
import type { ModelLike } from '../src/weights/model-shape.js';
import { PYTHON, pythonCanImport, pythonEnv } from './python.js';

const here = fileURLToPath(new URL('.', import.meta.url));

const enabled = pythonCanImport(['keras', 'h5py']);

interface Golden {
  inputs: { shape: number[]; values: number[] }[];
  outputs: { shape: number[]; values: number[] };
  iterations: number;
}

function predict(model: ModelLike, xs: tf.Tensor[]): Float32Array {
  const y = (model as unknown as { predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor }).predict(
    xs.length > 1 ? xs : xs[0],
  );
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

describe.skipIf(!enabled)('Keras 3 interop (Python)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-interop-'));
    execFileSync(PYTHON, [join(here, 'make_golden.py'), join(dir, 'golden')], {
      stdio: 'inherit',
      env: pythonEnv,
    });
    // Keras's start-up and golden files take seconds alone, minutes on a loaded 2-core machine.
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of [
    'sequential_mlp',
    'sequential_cnn',
    'functional_two_input',
    'nested',
    'mha_attention_mask',
    'seq2seq_lstm',
  ]) {
    it(`Strata loads Keras's ${name} (.keras, legacy .h5, .weights.h5) with Keras's predictions`, async () => {
      const g = JSON.parse(readFileSync(join(dir, 'golden', `${name}.json`), 'utf8')) as Golden;
      const xs = g.inputs.map((i) => tf.tensor(i.values, i.shape));
      const fromKeras = await loadModel(join(dir, 'golden', `${name}.keras`));
      expectClose(predict(fromKeras, xs), g.outputs.values);
      expect(fromKeras.optimizer?.iterations.value.dataSync()[0]).toBe(g.iterations);
      const fromH5 = await loadModel(join(dir, 'golden', `${name}.h5`), { compile: false });
      expectClose(predict(fromH5, xs), g.outputs.values);
      const fresh = await loadModel(join(dir, 'golden', `${name}.keras`), { compile: false });
      for (const v of fresh.weights) v.assign(tf.zerosLike(v.value));
      await loadWeights(fresh, join(dir, 'golden', `${name}.weights.h5`));
      expectClose(predict(fresh, xs), g.outputs.values);
      tf.dispose(xs);
      for (const m of [fromKeras, fromH5, fresh]) m.dispose();
    });
  }

  it('Keras loads what Strata writes, with the same predictions and Keras 3 paths', async () => {
    const out = join(dir, 'strata');
    // Saving never creates folders (as model.save documents), so the test makes its own.
    mkdirSync(out);
    const models: Record<string, { model: Model; shapes: number[][]; inputs?: () => tf.Tensor[] }> = {
      mlp: {
        model: new Sequential([
          new Dense({ units: 8, activation: 'relu', inputShape: [6] }),
          new Dropout({ rate: 0.2 }),
          new Dense({ units: 3, activation: 'softmax' }),
        ]),
        shapes: [[4, 6]],
      },
      cnn: {
        model: new Sequential([
          new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
          new BatchNormalization({}),
          new MaxPooling2D({ poolSize: 2 }),
          new Flatten({}),
          new Dense({ units: 2 }),
        ]),
        shapes: [[3, 8, 8, 1]],
      },
    };
    {
      const a = input({ shape: [5] });
      const b = input({ shape: [4] });
      const h = new Dense({ units: 6, activation: 'relu' }).apply(
        new Dense({ units: 6, activation: 'tanh' }).apply(b),
      );
      models.two_input = {
        model: new Model({
          inputs: [a, b],
          outputs: new Dense({ units: 1 }).apply(new Concatenate({}).apply([a, h]) as SymbolicTensor),
        }),
        shapes: [
          [3, 5],
          [3, 4],
        ],
      };
      const inner = new Sequential([
        new Dense({ units: 5, activation: 'relu', inputShape: [4] }),
        new Dense({ units: 3 }),
      ]);
      const x = input({ shape: [4] });
      models.nested = {
        model: new Model({ inputs: x, outputs: new Dense({ units: 2 }).apply(inner.apply(x)) }),
        shapes: [[2, 4]],
      };

      // Tensors in keyword arguments: an attention-mask input, and an encoder's states as the decoder's
      // initial state.
      const tokens = input({ shape: [6, 4], name: 'tokens' });
      const mask = input({ shape: [6, 6], name: 'attention_mask' });
      const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([tokens, tokens], {
        attentionMask: mask,
      });
      models.mha_mask = {
        model: new Model({
          inputs: [tokens, mask],
          outputs: new Dense({ units: 2 }).apply(attended as SymbolicTensor),
        }),
        shapes: [],
        inputs: () => {
          const keys = [1, 4, 6].map((len) => Array.from({ length: 6 }, (_, s) => (s < len ? 1 : 0)));
          return [
            tf.randomNormal([3, 6, 4]),
            tf.tensor3d(keys.map((row) => Array.from({ length: 6 }, () => row))),
          ];
        },
      };
      const enc = input({ shape: [5, 3], name: 'encoder_inputs' });
      const dec = input({ shape: [4, 3], name: 'decoder_inputs' });
      const [, stateH, stateC] = new LSTM({ units: 8, returnState: true }).apply(
        enc,
      ) as unknown as SymbolicTensor[];
      const decoded = new LSTM({ units: 8, returnSequences: true }).apply(dec, {
        initialState: [stateH, stateC],
      });
      models.seq2seq = {
        model: new Model({
          inputs: [enc, dec],
          outputs: new Dense({ units: 1 }).apply(decoded as SymbolicTensor),
        }),
        shapes: [
          [3, 5, 3],
          [3, 4, 3],
        ],
      };
    }
    const manifest: unknown[] = [];
    const expected: Record<string, Float32Array> = {};
    for (const [name, { model, shapes, inputs: makeInputs }] of Object.entries(models)) {
      const xs = makeInputs ? makeInputs() : shapes.map((s) => tf.randomNormal(s));
      model.compile({ optimizer: 'adam', loss: 'mse' });
      const y0 = model.predict(xs.length > 1 ? xs : xs[0]) as tf.Tensor;
      await model.fit(xs.length > 1 ? xs : xs[0], tf.onesLike(y0), { epochs: 1, verbose: 0 });
      y0.dispose();
      expected[name] = predict(model, xs);
      const inputs = xs.map((x) => ({ shape: x.shape, values: Array.from(x.dataSync()) }));
      await saveModel(model, join(out, `${name}.keras`));
      await saveModel(model, join(out, `${name}.h5`));
      await saveWeights(model, join(out, `${name}.weights.h5`));
      manifest.push({ name: `${name}.keras`, file: `${name}.keras`, kind: 'keras', inputs });
      manifest.push({ name: `${name}.h5`, file: `${name}.h5`, kind: 'h5', inputs });
      manifest.push({
        name: `${name}.weights.h5`,
        file: `${name}.weights.h5`,
        kind: 'weights',
        config_from: `${name}.keras`,
        inputs,
      });
      tf.dispose(xs);
    }
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
    execFileSync(PYTHON, [join(here, 'check_strata_files.py'), out], {
      stdio: 'inherit',
      env: pythonEnv,
    });
    const results = JSON.parse(readFileSync(join(out, 'keras_results.json'), 'utf8')) as Record<
      string,
      {
        error?: string;
        outputs?: { values: number[] };
        listing?: Record<string, { shape?: number[] }>;
        members?: string[];
        iterations?: number;
        config?: Record<string, unknown>;
      }
    >;
    // The nested model last: its graph references need core to follow Keras 3's node numbering.
    for (const name of [...Object.keys(models).filter((n) => n !== 'nested'), 'nested']) {
      if (name === 'nested') {
        expect(results['mlp.keras'].listing!['layers/dense/vars/0'].shape).toEqual([6, 8]);
        expect(results['mlp.keras'].listing!['layers/dense_1/vars/1'].shape).toEqual([3]);
        expect(results['cnn.keras'].listing!['layers/batch_normalization/vars/3'].shape).toEqual([4]);
        expect(results['mlp.keras'].listing!['optimizer/vars/0'].shape).toEqual([]);
      }
      for (const kind of ['keras', 'h5', 'weights.h5']) {
        const r = results[`${name}.${kind}`];
        expect(r.error, `${name}.${kind}`).toBeUndefined();
        expectClose(r.outputs!.values, expected[name]);
      }
      const k = results[`${name}.keras`];
      expect(k.members).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
      expect(k.iterations).toBe(1);
    }
    expect(results['nested.keras'].listing!['layers/sequential/layers/dense/vars/0'].shape).toEqual([4, 5]);
    for (const m of Object.values(models)) m.model.dispose();
  });
});
