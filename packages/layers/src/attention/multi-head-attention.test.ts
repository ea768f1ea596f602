import { input, Loss, Model, Optimizer, type Variable } from '@strata/core';
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
