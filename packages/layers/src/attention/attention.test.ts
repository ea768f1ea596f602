import { deserializeKerasObject, input, Model, type SymbolicTensor } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { AdditiveAttention } from './additive-attention.js';
import { Attention } from './attention.js';
import { EinsumDense } from './einsum-dense.js';

const q = [
  [
    [1, 0],
    [0, 2],
  ],
];
const v = [
  [
    [1, 2],
    [3, -1],
    [0, 1],
  ],
];

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

function mix(p: number[], value: number[][]): number[] {
  return value[0].map((_, d) => p.reduce((acc, w, s) => acc + w * value[s][d], 0));
}

describe('EinsumDense', () => {
  it('passes the layer test for dense, sequence and ellipsis equations', async () => {
    await runLayerTest(EinsumDense, {
      initArgs: { equation: 'ab,bc->ac', outputShape: 3, biasAxes: 'c', activation: 'relu' },
      inputShape: [2, 4],
      expectedOutputShape: [2, 3],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(EinsumDense, {
      initArgs: { equation: 'abc,cde->abde', outputShape: [null, 2, 3], biasAxes: 'de' },
      inputShape: [2, 5, 4],
      expectedOutputShape: [2, 5, 2, 3],
      expectedNumTrainableWeights: 2,
    });
    await runLayerTest(EinsumDense, {
      initArgs: { equation: '...b,bc->...c', outputShape: 6 },
      inputShape: [2, 3, 4],
      expectedOutputShape: [2, 3, 6],
      expectedNumTrainableWeights: 1,
    });
  });

  it('computes x·W + b as the equation says', () => {
    const layer = new EinsumDense({ equation: 'abc,cd->abd', outputShape: [null, 2], biasAxes: 'd' });
    layer.build([null, 2, 3]);
    expect(layer.weights.map((w) => w.shape)).toEqual([[3, 2], [2]]);
    const w = [
      [1, 2],
      [0, -1],
      [3, 1],
    ];
    const b = [0.5, -0.5];
    layer.setWeights([tf.tensor2d(w), tf.tensor1d(b)]);
    const x = [
      [
        [1, 2, 3],
        [-1, 0, 2],
      ],
    ];
    const expected = x.map((r) =>
      r.map((xt) => b.map((bd, d) => xt.reduce((a, xc, c) => a + xc * w[c][d], bd))),
    );
    const xt = tf.tensor3d(x);
    expectTensorsClose(layer.apply(xt) as tf.Tensor, expected);
    xt.dispose();
  });

  it('rejects bad equations and shapes', () => {
    expect(() => new EinsumDense({ equation: 'ab->b', outputShape: 2 })).toThrow('Received: equation=ab->b');
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 3, biasAxes: 'z' });
    expect(() => layer.build([null, 4])).toThrow("Bias dimension 'z' was requested");
  });
});

describe('Attention', () => {
  it('passes the layer test', async () => {
    await runLayerTest(Attention, {
      initArgs: {},
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 4],
      expectedNumTrainableWeights: 0,
    });
    await runLayerTest(Attention, {
      initArgs: { useScale: true, scoreMode: 'concat', dropout: 0.2 },
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 4],
      expectedNumTrainableWeights: 2,
    });
  });

  it('matches softmax(q·kᵀ)·v with value and causal masks', async () => {
    const layer = new Attention();
    const qt = tf.tensor3d(q);
    const vt = tf.tensor3d(v);
    const [out, scores] = await expectNoLeakedTensors(
      () => layer.apply([qt, vt], { returnAttentionScores: true }) as tf.Tensor[],
    );
    const probs = q[0].map((qr) => softmax(v[0].map((vr) => qr[0] * vr[0] + qr[1] * vr[1])));
    expectTensorsClose(scores, [probs], { atol: 1e-6 });
    expectTensorsClose(out, [probs.map((p) => mix(p, v[0]))], { atol: 1e-6 });

    const vMask = tf.tensor2d([[1, 0, 1]], undefined, 'bool');
    const masked = layer.apply([qt, vt], { mask: [null, vMask], useCausalMask: true }) as tf.Tensor;
    const allowed = (t: number, s: number) => s !== 1 && s <= t;
    const mprobs = q[0].map((qr, t) => {
      const raw = v[0].map((vr, s) => (allowed(t, s) ? qr[0] * vr[0] + qr[1] * vr[1] : -1e9));
      return softmax(raw);
    });
    expectTensorsClose(masked, [mprobs.map((p) => mix(p, v[0]))], { atol: 1e-6 });
    expect(() => layer.apply(qt)).toThrow('Attention layer must be called on a list of inputs');
    tf.dispose([out, scores, masked, qt, vt, vMask]);
  });

  it('rejects an unknown score mode', () => {
    expect(() => new Attention({ scoreMode: 'cosine' as 'dot' })).toThrow('Received: score_mode=cosine');
  });
});

describe('Attention call arguments in model configs', () => {
  it('gives the output shapes of returnAttentionScores to a symbolic call', () => {
    const query = input({ shape: [3, 4] });
    const value = input({ shape: [5, 4] });
    const out = new Attention().apply([query, value], { returnAttentionScores: true }) as SymbolicTensor[];
    expect(out.map((t) => t.shape)).toEqual([
      [null, 3, 4],
      [null, 3, 5],
    ]);
  });

  it('reads the snake_case call arguments of a Keras 2 config', () => {
    const inputLayer = (name: string, shape: number[]) => ({
      class_name: 'InputLayer',
      config: { batch_input_shape: [null, ...shape], dtype: 'float32', name },
      name,
      inbound_nodes: [],
    });
    const kwargs = { return_attention_scores: true, use_causal_mask: true };
    const legacy = {
      class_name: 'Model',
      config: {
        name: 'legacy',
        layers: [
          inputLayer('q', [2, 2]),
          inputLayer('v', [3, 2]),
          {
            class_name: 'Attention',
            config: { name: 'att' },
            name: 'att',
            inbound_nodes: [
              [
                ['q', 0, 0, kwargs],
                ['v', 0, 0, kwargs],
              ],
            ],
          },
        ],
        input_layers: [
          ['q', 0, 0],
          ['v', 0, 0],
        ],
        output_layers: [
          ['att', 0, 0],
          ['att', 0, 1],
        ],
      },
    };
    const model = deserializeKerasObject<Model>('layer', legacy as never);
    expect(model.outputs.map((t) => t.shape)).toEqual([
      [null, 2, 2],
      [null, 2, 3],
    ]);
    tf.tidy(() => {
      const [, scores] = model.predict([tf.tensor3d(q), tf.tensor3d(v)]) as tf.Tensor[];
      // The causal mask leaves query 0 only key 0: its whole softmax weight.
      expectTensorsClose(tf.slice(scores, [0, 0, 0], [1, 1, 3]), [[[1, 0, 0]]], { atol: 1e-6 });
    });
    model.dispose();
  });
});

describe('Attention masks as symbolic tensors (issue #10)', () => {
  const qMask = [[1, 0]];
  const vMask = [[1, 0, 1]];

  it('feeds [queryMask, valueMask] inputs to the call: predict equals the eager call and the hand computation', async () => {
    const layer = new Attention({ name: 'att' });
    const query = input({ shape: [2, 2], name: 'q' });
    const value = input({ shape: [3, 2], name: 'v' });
    const qm = input({ shape: [2], name: 'qm' });
    const vm = input({ shape: [3], name: 'vm' });
    const model = new Model({
      inputs: [query, value, qm, vm],
      outputs: layer.apply([query, value], { mask: [qm, vm] }),
    });
    // Keras 3.15 writes `Attention()([q, v], mask=[qm, vm])` with the inputs as one list argument.
    const node = JSON.parse(JSON.stringify(model.getKerasConfig())).layers[4].inbound_nodes[0];
    expect(node.args).toHaveLength(1);
    expect(
      node.kwargs.mask.map((t: { config: { keras_history: unknown } }) => t.config.keras_history),
    ).toEqual([
      ['qm', 0, 0],
      ['vm', 0, 0],
    ]);

    const xs = [tf.tensor3d(q), tf.tensor3d(v), tf.tensor2d(qMask), tf.tensor2d(vMask)];
    const y = await expectNoLeakedTensors(() => model.predict(xs) as tf.Tensor);
    const eager = layer.apply([xs[0], xs[1]], { mask: [xs[2], xs[3]] }) as tf.Tensor;
    expectTensorsClose(y, eager, { atol: 1e-7 });
    // By hand: value 1 is masked out of every softmax; query 1 is masked, so its output row is zero.
    const probs = q[0].map((qr) =>
      softmax(v[0].map((vr, s) => (vMask[0][s] ? qr[0] * vr[0] + qr[1] * vr[1] : -1e9))),
    );
    const expected = probs.map((p, t) => mix(p, v[0]).map((x) => x * qMask[0][t]));
    expectTensorsClose(y, [expected], { atol: 1e-6 });
    tf.dispose([...xs, y, eager]);
  });

  it('AdditiveAttention takes [null, valueMask] and round-trips through its config', () => {
    const layer = new AdditiveAttention({ name: 'add_att' });
    const query = input({ shape: [2, 2], name: 'q' });
    const value = input({ shape: [3, 2], name: 'v' });
    const vm = input({ shape: [3], name: 'vm' });
    const model = new Model({
      inputs: [query, value, vm],
      outputs: layer.apply([query, value], { mask: [null, vm] }),
    });
    const config = JSON.parse(JSON.stringify(model.getKerasConfig()));
    expect(config.layers[3].inbound_nodes[0].kwargs.mask[0]).toBeNull();
    const again = Model.fromConfig(config);
    again.setWeights(model.getWeights());
    const xs = [tf.tensor3d(q), tf.tensor3d(v), tf.tensor2d(vMask)];
    const a = model.predict(xs) as tf.Tensor;
    const b = again.predict(xs) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const eager = layer.apply([xs[0], xs[1]], { mask: [null, xs[2]] }) as tf.Tensor;
    expectTensorsClose(a, eager, { atol: 1e-7 });
    tf.dispose([...xs, a, b, eager]);
  });

  it('rejects masks of the wrong shape, naming the layer and both shapes', () => {
    const query = input({ shape: [2, 2] });
    const value = input({ shape: [3, 2] });
    const layer = new Attention({ name: 'att_shapes' });
    expect(() => layer.apply([query, value], { mask: [null, input({ shape: [4] })] })).toThrow(
      'Layer "att_shapes" (Attention): the value mask must have shape (None, 3) (the value\'s shape without its last axis). Received: value_mask.shape=(None, 4)',
    );
    expect(layer.inboundNodes).toHaveLength(0);
    const qt = tf.tensor3d(q);
    const vt = tf.tensor3d(v);
    const bad = tf.ones([1, 3]);
    expect(() => layer.apply([qt, vt], { mask: [bad, null] })).toThrow(
      'Layer "att_shapes" (Attention): the query mask must have shape (1, 2) (the query\'s shape without its last axis). Received: query_mask.shape=(1, 3)',
    );
    expect(() => layer.apply([qt, vt], { mask: [bad] })).toThrow(
      'Attention layer accepts mask list of length 2 or 3',
    );
    tf.dispose([qt, vt, bad]);
  });
});

describe('AdditiveAttention', () => {
  it('passes the layer test', async () => {
    await runLayerTest(AdditiveAttention, {
      initArgs: { dropout: 0.1 },
      inputShape: [
        [2, 3, 4],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 4],
      expectedNumTrainableWeights: 1,
    });
  });

  it('scores with sum(scale * tanh(q + k))', () => {
    const layer = new AdditiveAttention();
    const qt = tf.tensor3d(q);
    const vt = tf.tensor3d(v);
    layer.build([qt.shape, vt.shape]);
    const scale = [0.5, -2];
    layer.setWeights([tf.tensor1d(scale)]);
    expect(layer.getConfig()).not.toHaveProperty('scoreMode');
    const out = layer.apply([qt, vt]) as tf.Tensor;
    const probs = q[0].map((qr) =>
      softmax(v[0].map((vr) => scale[0] * Math.tanh(qr[0] + vr[0]) + scale[1] * Math.tanh(qr[1] + vr[1]))),
    );
    expectTensorsClose(out, [probs.map((p) => mix(p, v[0]))], { atol: 1e-6 });
    tf.dispose([out, qt, vt]);
  });
});
