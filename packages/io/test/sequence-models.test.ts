// Issue #10's end-to-end models: a text classifier and a causal transformer block train, save to .keras,
// and load with identical predictions.
import { input, Model, Sequential, type SymbolicTensor } from '@strata/core';
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

import { loadModel, MemoryTarget } from '../src/index.js';

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
