import { input, Loss, Model, Optimizer, type SymbolicTensor, type Variable } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { Dense } from '../core/dense.js';
import { Add } from '../merging/add.js';
import { LayerNormalization } from '../normalization/layer-normalization.js';
import { MultiHeadAttention } from './multi-head-attention.js';

type N3 = number[][][];
type N4 = number[][][][];

/** Deterministic values in [-1, 1) so the hand computation and the layer see the same numbers. */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

function nest(flat: number[], shape: number[]): any {
  if (shape.length === 1) return flat.slice(0, shape[0]);
  const step = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nest(flat.slice(i * step), shape.slice(1)));
}

/** x [B, T, C] times w [C, N, H] plus b [N, H] -> [B, T, N, H]. */
function project(x: N3, w: N3, b: number[][]): N4 {
  return x.map((row) =>
    row.map((xt) =>
      w[0].map((_, n) => w[0][n].map((_, h) => xt.reduce((acc, xc, c) => acc + xc * w[c][n][h], b[n][h]))),
    ),
  );
}

/**
 * Plain-JS multi-head attention: returns the output [B, T, E] and the probabilities [B, N, T, S].
 * `mask[b][t][s]` is 1 where attention is allowed.
 */
function referenceAttention(
  q: N3,
  v: N3,
  w: { wq: N3; bq: number[][]; wk: N3; bk: number[][]; wv: N3; bv: number[][]; wo: N3; bo: number[] },
  keyDim: number,
  mask: N3 | null,
): { out: N3; probs: N4 } {
  const qp = project(q, w.wq, w.bq);
  const kp = project(v, w.wk, w.bk);
  const vp = project(v, w.wv, w.bv);
  const heads = w.wq[0].length;
  const probs: N4 = qp.map((qb, b) =>
    Array.from({ length: heads }, (_, n) =>
      qb.map((qt, t) => {
        const raw = kp[b].map((ks, s) => {
          let dot = 0;
          for (let h = 0; h < keyDim; h++) dot += (qt[n][h] / Math.sqrt(keyDim)) * ks[n][h];
          return mask && mask[b][t][s] === 0 ? dot - 1e9 : dot;
        });
        const m = Math.max(...raw);
        const e = raw.map((r) => Math.exp(r - m));
        const z = e.reduce((a, c) => a + c, 0);
        return e.map((x, s) => (mask && mask[b][t][s] === 0 ? 0 : x / z));
      }),
    ),
  );
  const out: N3 = qp.map((qb, b) =>
    qb.map((_, t) => {
      const mixed = Array.from({ length: heads }, (_, n) =>
        w.wv[0][n].map((_, h) => vp[b].reduce((acc, vs, s) => acc + probs[b][n][t][s] * vs[n][h], 0)),
      );
      return w.bo.map((bo, e) =>
        mixed.reduce((acc, mn, n) => acc + mn.reduce((a2, x, h) => a2 + x * w.wo[n][h][e], 0), bo),
      );
    }),
  );
  return { out, probs };
}

function setup(B: number, T: number, S: number, dim: number, heads: number, keyDim: number) {
  const layer = new MultiHeadAttention({ numHeads: heads, keyDim });
  const q = nest(values(B * T * dim, 1), [B, T, dim]) as N3;
  const v = nest(values(B * S * dim, 2), [B, S, dim]) as N3;
  const w = {
    wq: nest(values(dim * heads * keyDim, 3), [dim, heads, keyDim]) as N3,
    bq: nest(values(heads * keyDim, 4), [heads, keyDim]) as number[][],
    wk: nest(values(dim * heads * keyDim, 5), [dim, heads, keyDim]) as N3,
    bk: nest(values(heads * keyDim, 6), [heads, keyDim]) as number[][],
    wv: nest(values(dim * heads * keyDim, 7), [dim, heads, keyDim]) as N3,
    bv: nest(values(heads * keyDim, 8), [heads, keyDim]) as number[][],
    wo: nest(values(heads * keyDim * dim, 9), [heads, keyDim, dim]) as N3,
    bo: values(dim, 10),
  };
  const qt = tf.tensor(q);
  const vt = tf.tensor(v);
  layer.build([qt.shape, vt.shape]);
  const ws = [w.wq, w.bq, w.wk, w.bk, w.wv, w.bv, w.wo, w.bo].map((x) => tf.tensor(x as number[]));
  layer.setWeights(ws);
  tf.dispose(ws);
  return { layer, q, v, w, qt, vt };
}

describe('MultiHeadAttention', () => {
  it('passes the layer test (cross-attention and with a key)', async () => {
    await runLayerTest(MultiHeadAttention, {
      initArgs: { numHeads: 2, keyDim: 3 },
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 4],
      expectedNumTrainableWeights: 8,
      expectedNumNonTrainableWeights: 0,
    });
    await runLayerTest(MultiHeadAttention, {
      initArgs: { numHeads: 2, keyDim: 3, valueDim: 2, outputShape: 6, useBias: false, dropout: 0.1 },
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
        [2, 5, 7],
      ],
      expectedOutputShape: [2, 3, 6],
      expectedNumTrainableWeights: 4,
    });
  });

  it('has Keras 3 sub-layers and kernel shapes', () => {
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 3, valueDim: 5 });
    layer.build([
      [null, 4, 6],
      [null, 7, 8],
    ]);
    expect(layer.subLayers.map((l) => l.name)).toEqual(['query', 'key', 'value', 'attention_output']);
    expect(layer.weights.map((w: Variable) => [w.path, w.shape])).toEqual([
      ['query/kernel', [6, 2, 3]],
      ['query/bias', [2, 3]],
      ['key/kernel', [8, 2, 3]],
      ['key/bias', [2, 3]],
      ['value/kernel', [8, 2, 5]],
      ['value/bias', [2, 5]],
      ['attention_output/kernel', [2, 5, 6]],
      ['attention_output/bias', [6]],
    ]);
    expect(Object.keys(layer.kerasSaveChildren())).toEqual([
      'query_dense',
      'key_dense',
      'value_dense',
      'output_dense',
    ]);
    expect(layer.getBuildConfig()).toEqual({
      shapes_dict: { query_shape: [null, 4, 6], value_shape: [null, 7, 8] },
    });
    layer.dispose();
  });

  it('matches a hand computation, with the attention scores', async () => {
    const { layer, q, v, w, qt, vt } = setup(2, 3, 4, 4, 2, 2);
    const expected = referenceAttention(q, v, w, 2, null);
    const [out, scores] = await expectNoLeakedTensors(
      () => layer.apply([qt, vt], { returnAttentionScores: true }) as tf.Tensor[],
    );
    expect(scores.shape).toEqual([2, 2, 3, 4]);
    expectTensorsClose(out, expected.out, { atol: 1e-5 });
    expectTensorsClose(scores, expected.probs, { atol: 1e-5 });
    tf.dispose([out, scores, qt, vt]);
    layer.dispose();
  });

  it('applies the causal mask and an attention mask like the hand computation', async () => {
    const { layer, q, v, w, qt, vt } = setup(2, 4, 4, 3, 2, 2);
    const causal = [0, 1].map(() => [0, 1, 2, 3].map((t) => [0, 1, 2, 3].map((s) => (s <= t ? 1 : 0))));
    const given = [
      [
        [1, 1, 0, 1],
        [1, 0, 1, 1],
        [0, 1, 1, 1],
        [1, 1, 1, 0],
      ],
      [
        [1, 0, 0, 0],
        [1, 1, 1, 1],
        [0, 1, 0, 1],
        [1, 0, 1, 1],
      ],
    ];
    const both = given.map((gb, b) => gb.map((gt, t) => gt.map((g, s) => g * causal[b][t][s])));

    const causalOut = await expectNoLeakedTensors(
      () => layer.apply([qt, vt], { useCausalMask: true, returnAttentionScores: true }) as tf.Tensor[],
    );
    const refCausal = referenceAttention(q, v, w, 2, causal);
    expectTensorsClose(causalOut[0], refCausal.out, { atol: 1e-5 });
    expectTensorsClose(causalOut[1], refCausal.probs, { atol: 1e-5 });
    // Row 0 may only look at position 0.
    expect(Array.from(tf.slice(causalOut[1], [0, 0, 0, 0], [1, 1, 1, 4]).dataSync())).toEqual([1, 0, 0, 0]);

    const maskT = tf.tensor3d(given, undefined, 'bool');
    const maskedOut = await expectNoLeakedTensors(
      () => layer.apply([qt, vt], { attentionMask: maskT, returnAttentionScores: true }) as tf.Tensor[],
    );
    const refMasked = referenceAttention(q, v, w, 2, given);
    expectTensorsClose(maskedOut[0], refMasked.out, { atol: 1e-5 });
    expectTensorsClose(maskedOut[1], refMasked.probs, { atol: 1e-5 });

    const bothOut = layer.apply([qt, vt], { attentionMask: maskT, useCausalMask: true }) as tf.Tensor;
    expectTensorsClose(bothOut, referenceAttention(q, v, w, 2, both).out, { atol: 1e-5 });
    tf.dispose([...causalOut, ...maskedOut, bothOut, maskT, qt, vt]);
    layer.dispose();
  });

  it('uses the Keras masks of its inputs and passes the query mask on', () => {
    const { layer, q, v, w, qt, vt } = setup(1, 3, 4, 2, 1, 2);
    const valueMask = tf.tensor2d([[1, 1, 0, 1]], undefined, 'bool');
    const out = layer.apply([qt, vt], { mask: [null, valueMask] }) as tf.Tensor;
    const ref = referenceAttention(q, v, w, 2, [[0, 1, 2].map(() => [1, 1, 0, 1])]);
    expectTensorsClose(out, ref.out, { atol: 1e-5 });
    const queryMask = tf.tensor2d([[1, 0, 1]], undefined, 'bool');
    expect(layer.computeMask([qt, vt], [queryMask, valueMask])).toBe(queryMask);
    tf.dispose([out, valueMask, queryMask, qt, vt]);
    layer.dispose();
  });

  it('rejects a mask of the wrong shape, naming the layer and the shapes', () => {
    const { layer, qt, vt } = setup(2, 3, 4, 2, 1, 2);
    const bad = tf.ones([2, 3, 5]);
    const before = tf.memory().numTensors;
    expect(() => layer.apply([qt, vt], { attentionMask: bad })).toThrow(
      `Layer "${layer.name}": \`attention_mask\` must broadcast to shape (2, 3, 4) (batch, query positions, key positions). Received: attention_mask.shape=(2, 3, 5)`,
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([bad, qt, vt]);
    layer.dispose();
  });

  it('validates its arguments and inputs', () => {
    expect(() => new MultiHeadAttention({ numHeads: 2 } as never)).toThrow('Received: key_dim=None');
    expect(() => new MultiHeadAttention({ numHeads: 0, keyDim: 2 })).toThrow('Received: num_heads=0');
    const layer = new MultiHeadAttention({ numHeads: 1, keyDim: 2 });
    const x = tf.ones([1, 2, 3]);
    expect(() => layer.apply(x)).toThrow('must be called on a list [query, value] or [query, value, key]');
    x.dispose();
  });

  it('returns symbolic scores in a functional graph and round-trips its config', () => {
    const q = input({ shape: [3, 4] });
    const v = input({ shape: [5, 4] });
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 3, attentionAxes: 1, seed: 3 });
    const [out, scores] = layer.apply([q, v], { returnAttentionScores: true }) as never as {
      shape: unknown;
    }[];
    expect(out.shape).toEqual([null, 3, 4]);
    expect(scores.shape).toEqual([null, 2, 3, 5]);
    const again = MultiHeadAttention.fromConfig(layer.getConfig());
    expect(again.getConfig()).toEqual({ ...layer.getConfig(), name: again.name });
    layer.dispose();
  });
});

describe('MultiHeadAttention with a symbolic attention mask (issue #10)', () => {
  const given = [
    [
      [1, 1, 0, 1],
      [1, 0, 1, 1],
      [0, 1, 1, 1],
      [1, 1, 1, 0],
    ],
    [
      [1, 0, 0, 0],
      [1, 1, 1, 1],
      [0, 1, 0, 1],
      [1, 0, 1, 1],
    ],
  ];

  it('takes the mask as a model input: predict equals the eager call and the hand computation', async () => {
    const { layer, q, v, w, qt, vt } = setup(2, 4, 4, 3, 2, 2);
    const query = input({ shape: [4, 3], name: 'query' });
    const value = input({ shape: [4, 3], name: 'value' });
    const mask = input({ shape: [4, 4], name: 'mask' });
    const [out, scores] = layer.apply([query, value], {
      attentionMask: mask,
      returnAttentionScores: true,
    }) as SymbolicTensor[];
    expect(scores.shape).toEqual([null, 2, 4, 4]);
    const model = new Model({ inputs: [query, value, mask], outputs: [out, scores] });
    expect(model.layers.map((l) => l.name)).toEqual(['query', 'value', 'mask', layer.name]);

    const maskT = tf.tensor3d(given);
    const [y, probs] = await expectNoLeakedTensors(() => model.predict([qt, vt, maskT]) as tf.Tensor[]);
    const boolMask = tf.cast(maskT, 'bool');
    const eager = layer.apply([qt, vt], { attentionMask: boolMask }) as tf.Tensor;
    expectTensorsClose(y, eager, { atol: 1e-6 });
    const ref = referenceAttention(q, v, w, 2, given);
    expectTensorsClose(y, ref.out, { atol: 1e-5 });
    expectTensorsClose(probs, ref.probs, { atol: 1e-5 });
    // Masked positions get exactly zero attention, in every head; the rest sums to one.
    const p = (await probs.array()) as N4;
    for (let b = 0; b < 2; b++)
      for (let n = 0; n < 2; n++)
        for (let t = 0; t < 4; t++) {
          given[b][t].forEach((g, s) => {
            if (g === 0) expect(p[b][n][t][s]).toBe(0);
          });
          expect(p[b][n][t].reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
        }
    tf.dispose([y, probs, eager, boolMask, maskT, qt, vt]);
    layer.dispose();
  });

  it('writes the call as Keras 3.15 does and rebuilds from the config', () => {
    const q = input({ shape: [8, 16], name: 'q' });
    const m = input({ shape: [8, 8], name: 'm' });
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 4, name: 'mha' });
    const model = new Model({
      inputs: [q, m],
      outputs: mha.apply([q, q], { attentionMask: m }),
      name: 'masked',
    });
    const config = JSON.parse(JSON.stringify(model.getKerasConfig()));
    const tensor = (name: string, shape: (number | null)[]) => ({
      class_name: '__keras_tensor__',
      config: { shape, dtype: 'float32', keras_history: [name, 0, 0] },
    });
    // What Keras 3.15 writes for `mha(q, q, attention_mask=m)`: query and value as two arguments.
    expect(config.layers[2].inbound_nodes).toEqual([
      {
        args: [tensor('q', [null, 8, 16]), tensor('q', [null, 8, 16])],
        kwargs: { attention_mask: tensor('m', [null, 8, 8]) },
      },
    ]);
    const lines: string[] = [];
    model.summary(100, undefined, (l) => lines.push(l));
    // Keras 3.15's `summary(line_length=100)` rows for the same model.
    expect(lines.slice(8, 10)).toEqual([
      '│ mha (MultiHeadAttention)    │ (None, 8, 16)           │            552 │ q[0][0], q[0][0],       │',
      '│                             │                         │                │ m[0][0]                 │',
    ]);

    const again = Model.fromConfig(config);
    again.setWeights(model.getWeights());
    const x = tf.randomNormal([3, 8, 16], 0, 1, 'float32', 5);
    const causal = tf.tidy(() =>
      tf.tile(tf.expandDims(tf.linalg.bandPart(tf.ones([8, 8]), -1, 0), 0), [3, 1, 1]),
    );
    const a = model.predict([x, causal]) as tf.Tensor;
    const b = again.predict([x, causal]) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // A lower-triangular mask given as data is the causal mask.
    const c = mha.apply([x, x], { useCausalMask: true }) as tf.Tensor;
    expectTensorsClose(a, c, { atol: 1e-6 });
    tf.dispose([x, causal, a, b, c]);
    model.dispose();
    again.dispose();
  });

  it('trains with the mask as an input, without leaking tensors', async () => {
    const T = 5;
    const D = 4;
    const x = input({ shape: [T, D] });
    const m = input({ shape: [T, T] });
    const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], { attentionMask: m });
    const out = new Dense({ units: 1 }).apply(attended as SymbolicTensor);
    const model = new Model({ inputs: [x, m], outputs: out as SymbolicTensor });
    model.compile({ optimizer: new InlineSGD({ learningRate: 0.1 }), loss: new InlineMSE() });

    // Each sample has a length; the target at every position is the mean of the first feature over the
    // valid (unpadded) positions, which attention restricted by the padding mask can produce.
    const n = 64;
    const lengths = Array.from({ length: n }, (_, i) => 2 + (i % (T - 1)));
    const xs = tf.randomUniform([n, T, D], -1, 1, 'float32', 11);
    const maskData = lengths.map((len) =>
      Array.from({ length: T }, () => Array.from({ length: T }, (_, s) => (s < len ? 1 : 0))),
    );
    const ms = tf.tensor3d(maskData);
    const ys = tf.tidy(() => {
      const valid = tf.slice(ms, [0, 0, 0], [n, 1, T]); // [n, 1, T]
      const first = tf.transpose(tf.slice(xs, [0, 0, 0], [n, T, 1]), [0, 2, 1]); // [n, 1, T]
      const mean = tf.div(tf.sum(tf.mul(first, valid), -1, true), tf.sum(valid, -1, true)); // [n, 1, 1]
      return tf.tile(mean, [1, T, 1]);
    });
    await model.fit([xs, ms], ys, { epochs: 1, batchSize: 16, verbose: 0 });
    const history = await expectNoLeakedTensors(() =>
      model.fit([xs, ms], ys, { epochs: 30, batchSize: 16, verbose: 0, shuffle: false }),
    );
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.6);
    const evaluated = await expectNoLeakedTensors(() => model.evaluate([xs, ms], ys, { verbose: 0 }));
    expect(evaluated as number).toBeLessThan(loss[0]);
    tf.dispose([xs, ms, ys]);
    model.dispose();
  });

  it('rejects a symbolic mask of the wrong shape where it is given, naming the layer and both shapes', () => {
    const q = input({ shape: [8, 16] });
    const v = input({ shape: [6, 16] });
    const layer = new MultiHeadAttention({ numHeads: 2, keyDim: 4, name: 'picky' });
    expect(() => layer.apply([q, v], { attentionMask: input({ shape: [8, 8] }) })).toThrow(
      'Layer "picky": `attention_mask` must broadcast to shape (None, 8, 6) (batch, query positions, key positions). Received: attention_mask.shape=(None, 8, 8)',
    );
    expect(layer.inboundNodes).toHaveLength(0);
    // Broadcastable masks are fine: one row for every query position.
    const ok = layer.apply([q, v], { attentionMask: input({ shape: [1, 6] }) }) as SymbolicTensor;
    expect(ok.shape).toEqual([null, 8, 16]);
  });
});

class InlineMSE extends Loss {
  static override className = 'InlineMSE';
  override call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.mean(tf.square(tf.sub(yPred, yTrue)), -1);
  }
}

/** Plain SGD with momentum-free updates: enough to show the block learns. */
class InlineSGD extends Optimizer {
  static override className = 'InlineSGD';
  override updateStep(gradient: tf.Tensor, variable: Variable, lr: number): void {
    variable.value.assign(tf.sub(variable.value, tf.mul(gradient, lr)));
  }
}

describe('a transformer block', () => {
  it('trains with a causal self-attention, residual, LayerNormalization and Dense', async () => {
    const T = 5;
    const D = 8;
    const x = input({ shape: [T, D] });
    const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], {
      useCausalMask: true,
    });
    const normed = new LayerNormalization().apply(new Add().apply([x, attended as never]) as never);
    const out = new Dense({ units: 1 }).apply(normed as never);
    const model = new Model({ inputs: x, outputs: out as never });
    model.compile({ optimizer: new InlineSGD({ learningRate: 0.05 }), loss: new InlineMSE() });

    // Target: the running mean of the first feature, which only a causal mixer of positions can produce.
    const xs = tf.randomUniform([64, T, D], -1, 1, 'float32', 7);
    const ys = tf.tidy(() => {
      const first = tf.slice(xs, [0, 0, 0], [64, T, 1]);
      const counts = tf.reshape(tf.range(1, T + 1), [1, T, 1]);
      return tf.div(tf.cumsum(first, 1), counts);
    });
    const before = tf.memory().numTensors;
    const history = await model.fit(xs, ys, { epochs: 25, batchSize: 16, verbose: 0, shuffle: false });
    const loss = history.history.loss as number[];
    expect(loss.length).toBe(25);
    expect(loss[24]).toBeLessThan(loss[0] * 0.6);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2);
    tf.dispose([xs, ys]);
  });
});
