import '../../test/register-gradients.js';

import {
  deserializeKerasObject,
  input,
  Layer,
  Loss,
  Model,
  Optimizer,
  Sequential,
  type SymbolicTensor,
  serializeKerasObject,
  type Variable,
} from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose, runLayerTest } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { Dense } from '../core/dense.js';
import { Embedding } from '../core/embedding.js';
import { Masking } from '../core/masking.js';
import {
  Bidirectional,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  SimpleRNN,
  SimpleRNNCell,
  StackedRNNCells,
  TimeDistributed,
} from './index.js';

describe('runLayerTest', () => {
  for (const [Cls, name, nStates] of [
    [LSTM, 'LSTM', 2],
    [GRU, 'GRU', 1],
    [SimpleRNN, 'SimpleRNN', 1],
  ] as const) {
    it(`${name}: last output, sequences, states, backwards`, async () => {
      await runLayerTest(Cls, {
        initArgs: { units: 3 },
        inputShape: [2, 4, 5],
        expectedOutputShape: [2, 3],
        expectedNumTrainableWeights: 3,
        expectedNumNonTrainableWeights: 0,
      });
      await runLayerTest(Cls, {
        initArgs: { units: 3, returnSequences: true, goBackwards: true },
        inputShape: [2, 4, 5],
        expectedOutputShape: [2, 4, 3],
      });
      await runLayerTest(Cls, {
        initArgs: { units: 3, returnSequences: true, returnState: true },
        inputShape: [2, 4, 5],
        expectedOutputShape: [[2, 4, 3], ...Array.from({ length: nStates }, () => [2, 3])],
      });
      await runLayerTest(Cls, {
        initArgs: { units: 2, dropout: 0.3, recurrentDropout: 0.3, seed: 1, useBias: false },
        inputShape: [2, 4, 5],
        expectedOutputShape: [2, 2],
        expectedNumTrainableWeights: 2,
      });
    });
  }

  it('the cells, one step at a time', async () => {
    await runLayerTest(LSTMCell, {
      initArgs: { units: 3 },
      inputShape: [
        [2, 5],
        [2, 3],
        [2, 3],
      ],
      expectedOutputShape: [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
    });
    await runLayerTest(GRUCell, {
      initArgs: { units: 3, resetAfter: false },
      inputShape: [
        [2, 5],
        [2, 3],
      ],
      expectedOutputShape: [
        [2, 3],
        [2, 3],
      ],
    });
    await runLayerTest(SimpleRNNCell, {
      initArgs: { units: 3 },
      inputShape: [
        [2, 5],
        [2, 3],
      ],
      expectedOutputShape: [
        [2, 3],
        [2, 3],
      ],
    });
    await runLayerTest(StackedRNNCells, {
      initArgs: { cells: [new SimpleRNNCell({ units: 4 }), new LSTMCell({ units: 2 })] },
      inputShape: [
        [2, 5],
        [2, 4],
        [2, 2],
        [2, 2],
      ],
      expectedOutputShape: [
        [2, 2],
        [2, 4],
        [2, 2],
        [2, 2],
      ],
      expectedNumTrainableWeights: 6,
    });
  });

  it('RNN(cell), StackedRNNCells, Bidirectional, TimeDistributed', async () => {
    await runLayerTest(RNN, {
      initArgs: { cell: new LSTMCell({ units: 3 }), returnSequences: true },
      inputShape: [2, 4, 5],
      expectedOutputShape: [2, 4, 3],
      expectedNumTrainableWeights: 3,
    });
    await runLayerTest(RNN, {
      initArgs: { cell: [new SimpleRNNCell({ units: 4 }), new GRUCell({ units: 2 })], returnState: true },
      inputShape: [2, 4, 5],
      expectedOutputShape: [
        [2, 2],
        [2, 4],
        [2, 2],
      ],
      expectedNumTrainableWeights: 6,
    });
    for (const [mergeMode, shape] of [
      ['concat', [2, 4, 6]],
      ['sum', [2, 4, 3]],
      ['mul', [2, 4, 3]],
      ['ave', [2, 4, 3]],
    ] as const) {
      await runLayerTest(Bidirectional, {
        initArgs: { layer: new LSTM({ units: 3, returnSequences: true }), mergeMode },
        inputShape: [2, 4, 5],
        expectedOutputShape: shape as unknown as number[],
        expectedNumTrainableWeights: 6,
      });
    }
    await runLayerTest(Bidirectional, {
      initArgs: { layer: new GRU({ units: 3 }), mergeMode: null },
      inputShape: [2, 4, 5],
      expectedOutputShape: [
        [2, 3],
        [2, 3],
      ],
    });
    await runLayerTest(Bidirectional, {
      initArgs: { layer: new LSTM({ units: 3, returnState: true }) },
      inputShape: [2, 4, 5],
      expectedOutputShape: [
        [2, 6],
        [2, 3],
        [2, 3],
        [2, 3],
        [2, 3],
      ],
    });
    await runLayerTest(TimeDistributed, {
      initArgs: { layer: new Dense({ units: 3 }) },
      inputShape: [2, 4, 5],
      expectedOutputShape: [2, 4, 3],
      expectedNumTrainableWeights: 2,
    });
  });
});

describe('weights and config in Keras 3 layout', () => {
  it('LSTM keeps kernel, recurrent_kernel and bias on its cell, gates packed i, f, c, o', () => {
    const lstm = new LSTM({ units: 4 });
    tf.dispose(lstm.apply(tf.zeros([1, 2, 3])));
    expect(lstm.ownVariables).toHaveLength(0);
    expect(lstm.subLayers).toEqual([lstm.cell]);
    expect(lstm.cell.name).toBe('lstm_cell');
    expect(lstm.cell.ownVariables.map((v) => [v.name, v.shape])).toEqual([
      ['kernel', [3, 16]],
      ['recurrent_kernel', [4, 16]],
      ['bias', [16]],
    ]);
    // unitForgetBias: the forget block (second quarter) starts at one, the rest at zero.
    const bias = lstm.cell.bias!.value.arraySync() as number[];
    expect(bias).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    lstm.dispose();
  });

  it('GRU bias is [2, 3*units] with resetAfter (the default) and [3*units] without', () => {
    const a = new GRU({ units: 2 });
    const b = new GRU({ units: 2, resetAfter: false });
    tf.dispose([a.apply(tf.zeros([1, 2, 3])), b.apply(tf.zeros([1, 2, 3]))]);
    expect(a.weights.map((w) => w.shape)).toEqual([
      [3, 6],
      [2, 6],
      [2, 6],
    ]);
    expect(b.weights.map((w) => w.shape)).toEqual([[3, 6], [2, 6], [6]]);
    a.dispose();
    b.dispose();
  });

  it('LSTM config has Keras 3 keys and defaults and no cell entry', () => {
    const json = serializeKerasObject('layer', new LSTM({ units: 5, returnSequences: true }));
    const c = json.config;
    expect(json.class_name).toBe('LSTM');
    expect(c.cell).toBeUndefined();
    expect(c).toMatchObject({
      units: 5,
      activation: 'tanh',
      recurrent_activation: 'sigmoid',
      use_bias: true,
      unit_forget_bias: true,
      return_sequences: true,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
      zero_output_for_mask: false,
      dropout: 0,
      recurrent_dropout: 0,
      seed: null,
    });
    expect((c.recurrent_initializer as { class_name: string }).class_name).toMatch(/Orthogonal/);
    const again = deserializeKerasObject<LSTM>('layer', json);
    expect(again).toBeInstanceOf(LSTM);
    expect(again.units).toBe(5);
    expect(again.returnSequences).toBe(true);
    const gru = serializeKerasObject('layer', new GRU({ units: 2 })).config;
    expect(gru.reset_after).toBe(true);
    expect(gru.recurrent_activation).toBe('sigmoid');
  });

  it('Bidirectional names its copies forward_/backward_ and saves them as forward_layer/backward_layer', () => {
    const bi = new Bidirectional({ layer: new LSTM({ units: 2, name: 'enc' }) });
    expect(bi.forwardLayer.name).toBe('forward_enc');
    expect(bi.backwardLayer.name).toBe('backward_enc');
    expect(bi.backwardLayer.goBackwards).toBe(true);
    expect(Object.keys(bi.kerasSaveChildren())).toEqual(['forward_layer', 'backward_layer']);
    const config = serializeKerasObject('layer', bi).config;
    expect(config.merge_mode).toBe('concat');
    expect((config.layer as { class_name: string }).class_name).toBe('LSTM');
    const again = deserializeKerasObject<Bidirectional>(
      'layer',
      JSON.parse(JSON.stringify(serializeKerasObject('layer', bi))),
    );
    expect(again.backwardLayer.goBackwards).toBe(true);
    expect(() => new Bidirectional({ layer: new LSTM({ units: 2 }), mergeMode: 'max' as 'sum' })).toThrow(
      /Invalid merge mode. Received: max/,
    );
  });
});

describe('computation', () => {
  it('SimpleRNN follows h_t = tanh(x_t·W + h_{t-1}·U + b), checked by hand', () => {
    // One unit, one feature: W = 0.5, U = -1, b = 0.1.
    const rnn = new SimpleRNN({ units: 1, returnSequences: true, biasInitializer: 'zeros' });
    tf.dispose(rnn.apply(tf.zeros([1, 3, 1])));
    rnn.setWeights([tf.tensor2d([[0.5]]), tf.tensor2d([[-1]]), tf.tensor1d([0.1])]);
    const x = [1, -2, 3];
    const expected: number[] = [];
    let h = 0;
    for (const v of x) {
      h = Math.tanh(0.5 * v - h + 0.1);
      expected.push(h);
    }
    const y = rnn.apply(tf.tensor3d([x.map((v) => [v])]));
    expectTensorsClose(y, [expected.map((v) => [v])], { atol: 1e-6 });
    y.dispose();
    rnn.dispose();
  });

  it('masked timesteps keep the state (Keras semantics), and zeroOutputForMask zeros their outputs', () => {
    const make = (zeroOutputForMask: boolean) => {
      const l = new SimpleRNN({
        units: 2,
        returnSequences: true,
        zeroOutputForMask,
        biasInitializer: 'ones',
      });
      return l;
    };
    const x = tf.randomUniform([1, 4, 3]);
    const mask = tf.tensor2d([[1, 0, 1, 0]], undefined, 'bool');
    const a = make(false);
    const full = a.apply(x) as tf.Tensor;
    const masked = a.apply(x, { mask }) as tf.Tensor;
    const seq = masked.arraySync() as number[][][];
    // Step 1 repeats step 0; step 2 equals a run on [x0, x2] alone.
    expect(seq[0][1]).toEqual(seq[0][0]);
    const compact = a.apply(tf.gather(x, [0, 2], 1)) as tf.Tensor;
    expectTensorsClose(tf.slice(masked, [0, 2, 0], [1, 1, 2]), tf.slice(compact, [0, 1, 0], [1, 1, 2]), {
      atol: 1e-6,
    });
    const b = make(true);
    b.build([1, 4, 3]);
    b.setWeights(a.getWeights());
    const zeroed = (b.apply(x, { mask }) as tf.Tensor).arraySync() as number[][][];
    expect(zeroed[0][1]).toEqual([0, 0]);
    expect(zeroed[0][3]).toEqual([0, 0]);
    tf.dispose([x, mask, full, masked, compact]);
    a.dispose();
    b.dispose();
  });

  it('masks flow from Embedding(maskZero) and Masking through a functional model', () => {
    const tokens = input({ shape: [5], dtype: 'int32' });
    const emb = new Embedding({ inputDim: 10, outputDim: 3, maskZero: true });
    const lstm = new LSTM({ units: 2 });
    const model = new Model({ inputs: tokens, outputs: lstm.apply(emb.apply(tokens)) });
    const padded = tf.tensor2d([[4, 5, 6, 0, 0]], undefined, 'int32');
    const short = tf.tensor2d([[4, 5, 6]], undefined, 'int32');
    const a = model.predict(padded) as tf.Tensor;
    const b = lstm.apply(emb.apply(short)) as tf.Tensor;
    expectTensorsClose(a, b, { atol: 1e-6 });

    const masking = new Masking({ maskValue: 0 });
    const gru = new GRU({ units: 2 });
    const seq = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [0, 0],
      ],
    ]);
    const viaMasking = gru.apply(masking.apply(seq), { mask: masking.computeMask(seq) }) as tf.Tensor;
    const trimmed = gru.apply(tf.slice(seq, [0, 0, 0], [1, 2, 2])) as tf.Tensor;
    expectTensorsClose(viaMasking, trimmed, { atol: 1e-6 });
    tf.dispose([padded, short, a, b, seq, viaMasking, trimmed]);
  });

  it('returnState gives the final h (= last output) and c; initialState is used', () => {
    const lstm = new LSTM({ units: 2, returnState: true });
    const x = tf.randomUniform([2, 3, 4]);
    const [out, h, c] = lstm.apply(x) as unknown as tf.Tensor[];
    expectTensorsClose(out, h);
    const h0 = tf.ones([2, 2]);
    const c0 = tf.ones([2, 2]);
    const [out2] = lstm.apply(x, { initialState: [h0, c0] }) as unknown as tf.Tensor[];
    expect(Math.abs(tf.sub(out2, out).abs().max().dataSync()[0])).toBeGreaterThan(1e-4);
    expect(() => lstm.apply(x, { initialState: [h0] })).toThrow(
      /expects 2 initial state\(s\), but received 1/,
    );
    tf.dispose([x, out, h, c, h0, c0, out2]);
    lstm.dispose();
  });

  it('stateful carries the states across calls until resetStates', () => {
    const x = tf.randomUniform([2, 3, 4]);
    const stateful = new GRU({ units: 2, stateful: true });
    const plain = new GRU({ units: 2, returnState: true });
    tf.dispose(stateful.apply(x));
    plain.build([2, 3, 4]);
    plain.setWeights(stateful.getWeights());
    const [first, state] = plain.apply(x) as unknown as tf.Tensor[];
    const second = plain.apply(x, { initialState: [state] }) as unknown as tf.Tensor[];
    const statefulSecond = stateful.apply(x);
    expectTensorsClose(statefulSecond, second[0], { atol: 1e-6 });
    stateful.resetStates();
    const afterReset = stateful.apply(x);
    expectTensorsClose(afterReset, first, { atol: 1e-6 });
    expect(() => stateful.apply(tf.zeros([3, 3, 4]))).toThrow(/batch size 2, but received a batch of 3/);
    tf.dispose([x, first, state, ...second, statefulSecond, afterReset]);
    stateful.dispose();
    plain.dispose();
  });

  it('Bidirectional: concat of forward and time-flipped backward outputs', () => {
    const bi = new Bidirectional({ layer: new SimpleRNN({ units: 2, returnSequences: true }) });
    const x = tf.randomUniform([1, 3, 2]);
    const y = bi.apply(x) as tf.Tensor;
    const f = bi.forwardLayer.apply(x) as tf.Tensor;
    const b = tf.reverse(bi.backwardLayer.apply(x) as tf.Tensor, 1);
    expectTensorsClose(y, tf.concat([f, b], -1));
    // The backward direction is the forward layer run on the reversed sequence.
    const again = bi.backwardLayer.apply(x) as tf.Tensor;
    tf.dispose([x, y, f, b, again]);
    bi.dispose();
  });

  it('StackedRNNCells equals two chained RNN layers with the same weights', () => {
    const stacked = new RNN({ cell: [new LSTMCell({ units: 3 }), new LSTMCell({ units: 2 })] });
    const first = new LSTM({ units: 3, returnSequences: true });
    const second = new LSTM({ units: 2 });
    const x = tf.randomUniform([2, 4, 5]);
    tf.dispose([stacked.apply(x), second.apply(first.apply(x) as tf.Tensor)]);
    const w = stacked.getWeights();
    first.setWeights(w.slice(0, 3));
    second.setWeights(w.slice(3));
    const a = stacked.apply(x) as tf.Tensor;
    const mid = first.apply(x) as tf.Tensor;
    const b = second.apply(mid) as tf.Tensor;
    expectTensorsClose(a, b, { atol: 1e-6 });
    tf.dispose([x, a, mid, b, ...w]);
  });
});

/** A user-written cell in Keras's protocol (no batched projection): h_t = h_{t-1} + x_t. */
class RunningSumCell extends Layer {
  static override className = 'RunningSumCell';
  readonly stateSize = 2;
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const [x, h] = inputs as tf.Tensor[];
    const next = tf.add(h, x);
    return [next, next];
  }
}

describe('a custom cell', () => {
  it('runs through RNN one step at a time, with masking and goBackwards', () => {
    const x = tf.tensor3d([
      [
        [1, 10],
        [2, 20],
        [3, 30],
      ],
    ]);
    const mask = tf.tensor2d([[1, 0, 1]], undefined, 'bool');
    const forward = new RNN({ cell: new RunningSumCell(), returnSequences: true });
    const y = forward.apply(x, { mask }) as tf.Tensor;
    expectTensorsClose(y, [
      [
        [1, 10],
        [1, 10],
        [4, 40],
      ],
    ]);
    const backward = new RNN({ cell: new RunningSumCell(), returnSequences: true, goBackwards: true });
    const yb = backward.apply(x) as tf.Tensor;
    expectTensorsClose(yb, [
      [
        [3, 30],
        [5, 50],
        [6, 60],
      ],
    ]);
    tf.dispose([x, mask, y, yb]);
  });
});

describe('errors', () => {
  it('a 2-D input to LSTM names the layer, the expected rank and the shape received', () => {
    const lstm = new LSTM({ units: 2, name: 'my_lstm' });
    const x = tf.zeros([4, 8]);
    expect(() => lstm.apply(x)).toThrow(
      'Input 0 of layer "my_lstm" is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: (4, 8)',
    );
    expect(() => lstm.apply(input({ shape: [8] }))).toThrow(/layer "my_lstm".*expected ndim=3, found ndim=2/);
    x.dispose();
  });

  it('bad arguments fail with Keras-style messages', () => {
    expect(() => new LSTM({ units: 0 })).toThrow(/expected a positive integer. Received: units=0/);
    expect(() => new RNN({} as never)).toThrow(/`cell` is required/);
    const lstm = new LSTM({ units: 2 });
    tf.dispose(lstm.apply(tf.zeros([1, 2, 3])));
    const wrong = tf.zeros([1, 2, 4]);
    expect(() => lstm.apply(wrong)).toThrow(/expected axis -1 of input shape to have value 3/);
    wrong.dispose();
    lstm.dispose();
  });
});

/** Binary cross-entropy on probabilities, for the training test (the real loss lives in losses-metrics). */
class TestBCE extends Loss {
  static override className = 'TestBCE';
  override call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const p = tf.clipByValue(yPred, 1e-7, 1 - 1e-7);
    return tf.neg(
      tf.mean(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))), -1),
    );
  }
}

/** Adam-free momentum SGD, enough to train a small model (the real optimizers live in @strata/optimizers). */
class TestMomentum extends Optimizer {
  static override className = 'TestMomentum';
  private readonly velocity = new Map<Variable, tf.Variable>();
  override updateStep(gradient: tf.Tensor, variable: Variable, lr: number): void {
    let v = this.velocity.get(variable);
    if (!v) {
      v = tf.variable(tf.zerosLike(variable.value), false);
      this.velocity.set(variable, v);
    }
    v.assign(tf.add(tf.mul(v, 0.9), gradient));
    variable.value.assign(tf.sub(variable.value, tf.mul(v, lr)));
  }
}

describe('training', () => {
  it('Embedding(maskZero) → Bidirectional(LSTM) → Dense(sigmoid) learns a padded-sequence task, without leaks', async () => {
    // Label 1 when token 1 occurs in the sequence; sequences are right-padded with 0 to length 8.
    const n = 64;
    const rows: number[][] = [];
    const labels: number[] = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < n; i++) {
      const len = 3 + Math.floor(rand() * 6);
      const row = Array.from({ length: 8 }, (_, t) => (t < len ? 2 + Math.floor(rand() * 8) : 0));
      const positive = i % 2 === 0;
      if (positive) row[Math.floor(rand() * len)] = 1;
      rows.push(row);
      labels.push(positive ? 1 : 0);
    }
    const x = tf.tensor2d(rows, undefined, 'int32');
    const y = tf.tensor2d(labels, [n, 1]);
    const model = new Sequential([
      new Embedding({ inputDim: 10, outputDim: 8, maskZero: true, inputShape: [8] }),
      new Bidirectional({ layer: new LSTM({ units: 8 }) }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: new TestMomentum({ learningRate: 0.1 }), loss: new TestBCE() });
    // Warm-up epoch builds the optimizer state, which is allowed to persist.
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const history = await expectNoLeakedTensors(() =>
      model.fit(x, y, { epochs: 30, batchSize: 16, verbose: 0, shuffle: false }),
    );
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    await expectNoLeakedTensors(() => tf.dispose(model.predict(x)));
    tf.dispose([x, y]);
  }, 60_000);

  it("an inner layer's activity regularizer joins the training loss through Bidirectional, as in Keras 3", async () => {
    // Keras 3.15 (oracle): with target zeros, train_on_batch's loss is mean(y²) + 0.01·Σy²/batch, where y is the
    // concatenation of both directions, so Σy² covers each direction's own L2 penalty.
    const model = new Sequential([
      new Bidirectional({ layer: new LSTM({ units: 4, activityRegularizer: 'l2' }), inputShape: [5, 3] }),
    ]);
    model.compile({ optimizer: new TestMomentum({ learningRate: 0 }), loss: new TestMSE() });
    const x = tf.randomUniform([6, 5, 3], 0, 1, 'float32', 3);
    const target = tf.zeros([6, 8]);
    const out = model.predict(x) as tf.Tensor;
    const y = Array.from(out.dataSync());
    tf.dispose(out);
    const sumSquares = y.reduce((a, v) => a + v * v, 0);
    const expected = sumSquares / y.length + (0.01 * sumSquares) / 6;
    model.trainOnBatch(x, target); // builds the optimizer's state (learning rate 0: no weight moves)
    const loss = (await expectNoLeakedTensors(() => model.trainOnBatch(x, target))) as number;
    expect(loss).toBeCloseTo(expected, 6);
    expect(loss).toBeGreaterThan(sumSquares / y.length);
    tf.dispose([x, target]);
  });
});

describe('TimeDistributed with a mask', () => {
  it("passes each timestep's mask to the layer (masked GlobalAveragePooling1D per timestep)", async () => {
    const { GlobalAveragePooling1D } = await import('../pooling/global-average-pooling1d.js');
    const td = new TimeDistributed({ layer: new GlobalAveragePooling1D() });
    // x[b, t, :, 0] = 1..12 in order; the mask keeps steps per (b, t) as below.
    const x = tf.tensor4d(
      Array.from({ length: 12 }, (_, i) => i + 1),
      [2, 2, 3, 1],
    );
    const keep = [
      [1, 1, 0],
      [1, 0, 0],
      [0, 1, 1],
      [1, 1, 1],
    ];
    const mask = tf.tensor3d(keep.flat(), [2, 2, 3], 'bool');
    const y = td.apply(x, { mask }) as tf.Tensor;
    // Means of the kept values: (1+2)/2, 4, (8+9)/2, (10+11+12)/3.
    expectTensorsClose(y, tf.tensor3d([1.5, 4, 8.5, 11], [2, 2, 1]));
    const unmasked = td.apply(x) as tf.Tensor;
    expectTensorsClose(unmasked, tf.tensor3d([2, 5, 8, 11], [2, 2, 1]));
    expect(td.computeMask(x, mask)).toBe(mask);
    await expectNoLeakedTensors(() => tf.dispose(td.apply(x, { mask })));
    tf.dispose([x, mask, y, unmasked]);
  });

  it('names the expected and received shapes when the mask does not match [batch, time]', () => {
    const td = new TimeDistributed({ layer: new Dense({ units: 2 }) });
    const x = tf.ones([2, 3, 4]);
    const mask = tf.ones([3, 2], 'bool');
    expect(() => td.apply(x, { mask })).toThrow(
      /should be passed a `mask` of shape \(2, 3, \.\.\.\), received: mask\.shape=\(3, 2\)/,
    );
    tf.dispose([x, mask]);
  });
});

class TestMSE extends Loss {
  static override className = 'TestMSE';
  override call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.mean(tf.square(tf.sub(yPred, yTrue)), -1);
  }
}

describe('initial states from other layers in a functional model (issue #10)', () => {
  function encoderDecoder() {
    const enc = input({ shape: [5, 3], name: 'enc' });
    const dec = input({ shape: [4, 3], name: 'dec' });
    const encoder = new LSTM({ units: 6, returnState: true, name: 'encoder' });
    const decoder = new LSTM({ units: 6, returnSequences: true, name: 'decoder' });
    const head = new Dense({ units: 1, name: 'head' });
    const [, h, c] = encoder.apply(enc) as unknown as SymbolicTensor[];
    const decoded = decoder.apply(dec, { initialState: [h, c] }) as SymbolicTensor;
    const model = new Model({
      inputs: [enc, dec],
      outputs: head.apply(decoded) as SymbolicTensor,
      name: 's2s',
    });
    return { model, encoder, decoder, head };
  }

  it('an encoder-decoder LSTM: predict equals the eager composition; summary and config as Keras 3.15', async () => {
    const { model, encoder, decoder, head } = encoderDecoder();
    expect(model.layers.map((l) => l.name)).toEqual(['enc', 'dec', 'encoder', 'decoder', 'head']);
    const xe = tf.randomNormal([3, 5, 3], 0, 1, 'float32', 1);
    const xd = tf.randomNormal([3, 4, 3], 0, 1, 'float32', 2);
    const y = await expectNoLeakedTensors(() => model.predict([xe, xd]) as tf.Tensor);
    const expected = tf.tidy(() => {
      const [, h, c] = encoder.apply(xe) as unknown as tf.Tensor[];
      return head.apply(decoder.apply(xd, { initialState: [h, c] }) as tf.Tensor) as tf.Tensor;
    });
    expectTensorsClose(y, expected, { atol: 1e-6 });
    // The states matter: zero states give a different answer.
    const fromZeros = tf.tidy(() => head.apply(decoder.apply(xd) as tf.Tensor) as tf.Tensor);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(fromZeros, y))).dataSync()[0])).toBeGreaterThan(1e-3);

    // What Keras 3.15 writes for `decoder(dec, initial_state=[h, c])`.
    const config = JSON.parse(JSON.stringify(model.getKerasConfig()));
    const state = (i: number) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null, 6], dtype: 'float32', keras_history: ['encoder', 0, i] },
    });
    expect(config.layers[3].inbound_nodes[0].kwargs).toEqual({ initial_state: [state(1), state(2)] });
    const lines: string[] = [];
    model.summary(100, undefined, (l) => lines.push(l));
    // Keras 3.15's `summary(line_length=100)` rows for the decoder.
    expect(lines.slice(11, 14)).toEqual([
      '│ decoder (LSTM)              │ (None, 4, 6)            │            240 │ dec[0][0],              │',
      '│                             │                         │                │ encoder[0][1],          │',
      '│                             │                         │                │ encoder[0][2]           │',
    ]);
    const again = Model.fromConfig(config);
    again.setWeights(model.getWeights());
    const y2 = again.predict([xe, xd]) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([xe, xd, y, y2, expected, fromZeros]);
    model.dispose();
    again.dispose();
  });

  it('trains end to end: the gradient reaches the encoder through the initial states', async () => {
    const { model, encoder } = encoderDecoder();
    model.compile({ optimizer: new TestMomentum({ learningRate: 0.05 }), loss: new TestMSE() });
    // The decoder sees noise; only the encoder's states tell it the mean of the encoded sequence.
    const n = 64;
    const xe = tf.randomUniform([n, 5, 3], -1, 1, 'float32', 3);
    const xd = tf.randomUniform([n, 4, 3], -1, 1, 'float32', 4);
    const ys = tf.tidy(() => tf.tile(tf.reshape(tf.mean(xe, [1, 2]), [n, 1, 1]), [1, 4, 1]));
    const kernelBefore = encoder.cell.weights[0].read();
    await model.fit([xe, xd], ys, { epochs: 1, batchSize: 16, verbose: 0 });
    const history = await expectNoLeakedTensors(() =>
      model.fit([xe, xd], ys, { epochs: 40, batchSize: 16, verbose: 0, shuffle: false }),
    );
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    const moved = tf.tidy(
      () => tf.max(tf.abs(tf.sub(encoder.cell.weights[0].value, kernelBefore))).dataSync()[0],
    );
    expect(moved).toBeGreaterThan(1e-3);
    await expectNoLeakedTensors(() => tf.dispose(model.predict([xe, xd])));
    tf.dispose([xe, xd, ys, kernelBefore]);
    model.dispose();
  }, 60_000);

  it('one state as a single tensor (GRU fed by a Dense layer) round-trips as Keras writes it', () => {
    const x = input({ shape: [4, 2], name: 'x' });
    const ctx = input({ shape: [3], name: 'ctx' });
    const init = new Dense({ units: 5, activation: 'tanh', name: 'init' });
    const gru = new GRU({ units: 5, name: 'gru' });
    const model = new Model({ inputs: [x, ctx], outputs: gru.apply(x, { initialState: init.apply(ctx) }) });
    const config = JSON.parse(JSON.stringify(model.getKerasConfig()));
    expect(config.layers.find((l: { name: string }) => l.name === 'gru').inbound_nodes[0].kwargs).toEqual({
      initial_state: {
        class_name: '__keras_tensor__',
        config: { shape: [null, 5], dtype: 'float32', keras_history: ['init', 0, 0] },
      },
    });
    const xs = [tf.randomNormal([2, 4, 2], 0, 1, 'float32', 5), tf.randomNormal([2, 3], 0, 1, 'float32', 6)];
    const y = model.predict(xs) as tf.Tensor;
    const expected = tf.tidy(
      () => gru.apply(xs[0], { initialState: [init.apply(xs[1]) as tf.Tensor] }) as tf.Tensor,
    );
    expectTensorsClose(y, expected, { atol: 1e-6 });
    const again = Model.fromConfig(config);
    again.setWeights(model.getWeights());
    const y2 = again.predict(xs) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([...xs, y, y2, expected]);
  });

  it("as in Keras 3.15, a call with initial-state tensors does not receive its sequence's mask", () => {
    // Keras fills in `mask` only for calls with a single tensor argument; checked with Keras 3.15 (JAX):
    // Embedding(mask_zero=True) -> SimpleRNN(initial_state=s) predicts as the unmasked call.
    const ids = input({ shape: [4], dtype: 'int32', name: 'ids' });
    const st = input({ shape: [3], name: 'st' });
    const emb = new Embedding({ inputDim: 10, outputDim: 2, maskZero: true });
    const rnn = new SimpleRNN({ units: 3 });
    const model = new Model({
      inputs: [ids, st],
      outputs: rnn.apply(emb.apply(ids) as SymbolicTensor, { initialState: st }),
    });
    const tokens = tf.tensor2d([[1, 2, 0, 0]], undefined, 'int32');
    const s = tf.tensor2d([[0.5, -0.5, 1]]);
    const y = model.predict([tokens, s]) as tf.Tensor;
    const embedded = emb.apply(tokens) as tf.Tensor;
    const unmasked = rnn.apply(embedded, { initialState: [s] }) as tf.Tensor;
    const mask = tf.tensor2d([[1, 1, 0, 0]], undefined, 'bool');
    const masked = rnn.apply(embedded, { initialState: [s], mask }) as tf.Tensor;
    expectTensorsClose(y, unmasked, { atol: 1e-6 });
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(masked, unmasked))).dataSync()[0])).toBeGreaterThan(1e-4);
    // A mask given explicitly, here as a model input, is passed to the call.
    const m = input({ shape: [4], name: 'm' });
    const withMask = new Model({
      inputs: [ids, st, m],
      outputs: rnn.apply(emb.apply(ids) as SymbolicTensor, { initialState: st, mask: m }),
    });
    const maskData = tf.cast(mask, 'float32');
    const y2 = withMask.predict([tokens, s, maskData]) as tf.Tensor;
    expectTensorsClose(y2, masked, { atol: 1e-6 });
    tf.dispose([tokens, s, y, y2, embedded, unmasked, mask, maskData, masked]);
  });

  it('rejects initial states of the wrong number or shape where they are given', () => {
    const x = input({ shape: [4, 2] });
    const h = input({ shape: [6] });
    const lstm = new LSTM({ units: 5, name: 'picky_lstm' });
    expect(() => lstm.apply(x, { initialState: [h, h] })).toThrow(
      'Layer "picky_lstm": initial state 0 should have shape (None, 5). Received: shape=(None, 6)',
    );
    expect(() => lstm.apply(x, { initialState: [input({ shape: [5] })] })).toThrow(
      'Layer "picky_lstm" expects 2 initial state(s), but received 1.',
    );
    expect(lstm.inboundNodes).toHaveLength(0);
  });
});
