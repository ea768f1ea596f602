// Issue #10's end-to-end models: a text classifier and a causal transformer block train, save to .keras,
// and load with identical predictions; so do models whose calls take tensors as keyword arguments (an
// attention mask input, an encoder's states as a decoder's initial state).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { input, Model, Sequential, type SymbolicTensor } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import {
  Add,
  Bidirectional,
  Dense,
  Embedding,
  LayerNormalization,
  LSTM,
  MultiHeadAttention,
  TextVectorization,
} from '@strata/layers';
import '@strata/losses-metrics';
import { Adam } from '@strata/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { loadModel, MemoryTarget, saveModel } from '../src/index.js';

async function expectSameAfterReload(model: Model, x: tf.Tensor): Promise<void> {
  const mem = new MemoryTarget();
  await model.save(mem);
  const loaded = (await loadModel(mem)) as unknown as Model;
  const a = model.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
  tf.dispose([a, b]);
  loaded.dispose();
}

describe('sequence models train, save and load', () => {
  it('TextVectorization → Embedding(maskZero) → Bidirectional(LSTM) → Dense', async () => {
    // Positive texts mention "good", negative ones "bad"; lengths vary, so padding and masking matter.
    const words = ['the', 'film', 'was', 'plot', 'very', 'actors', 'story', 'and'];
    const texts: string[] = [];
    const labels: number[] = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 96; i++) {
      const n = 2 + Math.floor(rand() * 5);
      const tokens = Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]);
      const positive = i % 2 === 0;
      tokens.splice(Math.floor(rand() * n), 0, positive ? 'good' : 'bad');
      texts.push(tokens.join(' '));
      labels.push(positive ? 1 : 0);
    }
    const vectorize = new TextVectorization({ maxTokens: 20, outputSequenceLength: 8 });
    vectorize.adapt(texts);
    const ids = vectorize.apply(texts as never) as tf.Tensor;
    const y = tf.tensor2d(labels, [labels.length, 1]);

    const model = new Sequential([
      input({ shape: [8], dtype: 'int32' }).sourceLayer,
      new Embedding({ inputDim: 20, outputDim: 8, maskZero: true }),
      new Bidirectional({ layer: new LSTM({ units: 6 }) }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({
      optimizer: new Adam({ learningRate: 0.02 }),
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
    });
    const history = await model.fit(ids, y, { epochs: 12, batchSize: 16, verbose: 0 });
    const loss = history.history.loss;
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.5);
    await expectSameAfterReload(model, ids);
    tf.dispose([ids, y]);
    model.dispose();
  });

  it('a causal transformer block: MultiHeadAttention + residual + LayerNormalization + Dense', async () => {
    // Predict the running mean of a sequence: position t may only look at positions <= t.
    const x = tf.randomUniform([64, 6, 4], -1, 1, 'float32', 3);
    const y = tf.tidy(() => tf.div(tf.cumsum(x, 1), tf.reshape(tf.range(1, 7), [1, 6, 1])));
    const inp = input({ shape: [6, 4] });
    const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([inp, inp], {
      useCausalMask: true,
    });
    const res = new Add().apply([inp, attended as SymbolicTensor]);
    const normed = new LayerNormalization().apply(res as SymbolicTensor);
    const out = new Dense({ units: 4 }).apply(normed as SymbolicTensor);
    const model = new Model({ inputs: inp, outputs: out as SymbolicTensor });
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
    const history = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0 });
    const loss = history.history.loss;
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.6);
    await expectSameAfterReload(model, x);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('keyword-argument tensors save and load', () => {
  /** Saves to a .keras file and a legacy .h5 file, loads both, and expects bit-identical predictions. */
  async function expectSameFromFiles(model: Model, xs: tf.Tensor[]): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'strata-kwargs-'));
    try {
      const before = model.predict(xs) as tf.Tensor;
      for (const file of ['model.keras', 'model.h5']) {
        const path = join(dir, file);
        await expectNoLeakedTensors(() => model.save(path));
        const count = tf.memory().numTensors;
        const loaded = (await loadModel(path, { compile: file.endsWith('.keras') })) as unknown as Model;
        const after = loaded.predict(xs) as tf.Tensor;
        expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
        expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
        expect(JSON.stringify(loaded.getKerasConfig())).toEqual(JSON.stringify(model.getKerasConfig()));
        after.dispose();
        loaded.dispose();
        expect(tf.memory().numTensors).toBe(count);
      }
      before.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('MultiHeadAttention with an attention-mask input trains, saves and loads', async () => {
    const x = input({ shape: [6, 4], name: 'tokens' });
    const m = input({ shape: [6, 6], name: 'attention_mask' });
    const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], { attentionMask: m });
    const out = new Dense({ units: 2 }).apply(attended as SymbolicTensor);
    const model = new Model({ inputs: [x, m], outputs: out as SymbolicTensor });
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
    const xs = tf.randomUniform([32, 6, 4], -1, 1, 'float32', 5);
    const lengths = Array.from({ length: 32 }, (_, i) => 1 + (i % 6));
    const ms = tf.tensor3d(
      lengths.map((len) =>
        Array.from({ length: 6 }, () => Array.from({ length: 6 }, (_, s) => (s < len ? 1 : 0))),
      ),
    );
    const ys = tf.randomUniform([32, 6, 2], -1, 1, 'float32', 6);
    const history = await model.fit([xs, ms], ys, { epochs: 8, batchSize: 8, verbose: 0 });
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
    await expectSameFromFiles(model, [xs, ms]);
    // The TF.js Layers format has no way to write the mask edge, so it refuses rather than drop it.
    const mem = new MemoryTarget();
    await expect(saveModel(model, mem, { format: 'tfjs' })).rejects.toThrow(
      /takes a tensor in its keyword argument 'attention_mask', which the TF.js Layers format cannot express/,
    );
    expect(mem.files.size).toBe(0);
    tf.dispose([xs, ms, ys]);
    model.dispose();
  });

  it('an encoder-decoder LSTM (initial states from the encoder) trains, saves and loads', async () => {
    const enc = input({ shape: [5, 3], name: 'encoder_inputs' });
    const dec = input({ shape: [4, 3], name: 'decoder_inputs' });
    const [, h, c] = new LSTM({ units: 8, returnState: true }).apply(enc) as unknown as SymbolicTensor[];
    const decoded = new LSTM({ units: 8, returnSequences: true }).apply(dec, { initialState: [h, c] });
    const out = new Dense({ units: 1 }).apply(decoded as SymbolicTensor);
    const model = new Model({ inputs: [enc, dec], outputs: out as SymbolicTensor });
    model.compile({ optimizer: new Adam({ learningRate: 0.02 }), loss: 'mse' });
    const xe = tf.randomUniform([48, 5, 3], -1, 1, 'float32', 7);
    const xd = tf.randomUniform([48, 4, 3], -1, 1, 'float32', 8);
    const ys = tf.tidy(() => tf.tile(tf.reshape(tf.mean(xe, [1, 2]), [48, 1, 1]), [1, 4, 1]));
    const history = await model.fit([xe, xd], ys, { epochs: 15, batchSize: 16, verbose: 0 });
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.7);
    await expectSameFromFiles(model, [xe, xd]);
    tf.dispose([xe, xd, ys]);
    model.dispose();
  });
});
