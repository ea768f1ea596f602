// Keras masks into recurrent layers and MultiHeadAttention, exported: onnxruntime-node equals predict
// (which the layers package checks against Keras) on left-, right- and middle-padded sequences.
import { input, Model, type SymbolicTensor, ValueError } from '@strata/core';
import { expectNoLeakedTensors } from '@strata/core/testing';
import * as L from '@strata/layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/index.js';
import { toOnnx } from '../src/index.js';
import { expectOnnxMatchesPredict } from './onnx-runtime.js';

const randomInit = { biasInitializer: 'randomNormal' } as const;

/** Token ids with 0 as padding: right-, left- and middle-padded rows, a full row and an all-padding row. */
const IDS = [
  [3, 1, 4, 0, 0, 0],
  [0, 0, 0, 2, 7, 1],
  [5, 0, 0, 9, 0, 6],
  [1, 2, 3, 4, 5, 6],
  [0, 0, 0, 0, 0, 0],
];

describe('masked sequences in ONNX Runtime', () => {
  it('Embedding(maskZero) into LSTM, GRU (both reset modes) and SimpleRNN: sequences, last steps, states, backwards', async () => {
    const ids = input({ shape: [6] });
    const embedded = new L.Embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(ids);
    // The mask passes through Dropout and LayerNormalization, as in predict.
    const h = new L.LayerNormalization({}).apply(new L.Dropout({ rate: 0.5 }).apply(embedded));
    const seq = new L.LSTM({ units: 4, returnSequences: true, ...randomInit }).apply(h);
    const backwards = new L.GRU({ units: 3, returnSequences: true, goBackwards: true, ...randomInit }).apply(
      seq,
    );
    const [last, state] = new L.GRU({ units: 2, resetAfter: false, returnState: true, ...randomInit }).apply(
      backwards,
    ) as unknown as SymbolicTensor[];
    const simple = new L.SimpleRNN({ units: 3, activation: 'relu', goBackwards: true, ...randomInit }).apply(
      h,
    );
    const [out, stateH, stateC] = new L.LSTM({ units: 2, returnState: true, ...randomInit }).apply(
      h,
    ) as unknown as SymbolicTensor[];
    // GlobalAveragePooling1D averages the kept steps (an all-padding row gives 0 / 0, NaN, in both).
    const mean = new L.GlobalAveragePooling1D({}).apply(seq);
    const model = new Model({
      inputs: ids,
      outputs: [seq, backwards, last, state, simple, out, stateH, stateC, mean],
    });
    const xs = [tf.tensor2d(IDS)];
    expect(await expectOnnxMatchesPredict(model, xs)).toBeLessThanOrEqual(1e-5);
    tf.dispose(xs);
  });

  it('Masking into Bidirectional (zeros at masked steps when returning sequences; every merge mode)', async () => {
    const x = input({ shape: [5, 2] });
    const masked = new L.Masking({ maskValue: -1 }).apply(x);
    const concat = new L.Bidirectional({
      layer: new L.LSTM({ units: 3, returnSequences: true, ...randomInit }),
    }).apply(masked);
    const summed = new L.Bidirectional({
      layer: new L.GRU({ units: 2, ...randomInit }),
      mergeMode: 'sum',
    }).apply(concat);
    const [fwd, bwd, ...states] = new L.Bidirectional({
      layer: new L.SimpleRNN({ units: 2, returnSequences: true, returnState: true }),
      mergeMode: null,
    }).apply(masked) as unknown as SymbolicTensor[];
    const model = new Model({ inputs: x, outputs: [concat, summed, fwd, bwd, ...states] });
    // Timesteps of -1 everywhere are masked: at the end, at the start, in the middle.
    const values = tf.randomNormal([4, 5, 2], 0, 1, 'float32', 3).arraySync() as number[][][];
    for (const [row, steps] of [
      [0, [3, 4]],
      [1, [0, 1]],
      [2, [2]],
      [3, [0, 2, 4]],
    ] as [number, number[]][])
      for (const t of steps) values[row][t] = [-1, -1];
    values[3][1] = [-1, 0.5]; // one feature at the mask value: not masked
    const xs = [tf.tensor3d(values)];
    expect(await expectOnnxMatchesPredict(model, xs)).toBeLessThanOrEqual(1e-5);
    tf.dispose(xs);
  });

  it('MultiHeadAttention on masked query and value sequences, with a causal mask and an attention mask', async () => {
    const ids = input({ shape: [6] });
    const other = input({ shape: [4] });
    const padding = input({ shape: [6, 4] });
    const q = new L.Embedding({ inputDim: 10, outputDim: 4, maskZero: true }).apply(ids);
    const v = new L.Embedding({ inputDim: 10, outputDim: 3, maskZero: true }).apply(other);
    const self = new L.MultiHeadAttention({ numHeads: 2, keyDim: 2, ...randomInit }).apply([q, q], {
      useCausalMask: true,
    }) as SymbolicTensor;
    const [cross, scores] = new L.MultiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([self, v], {
      attentionMask: padding,
      returnAttentionScores: true,
    }) as unknown as SymbolicTensor[];
    // The output carries the query's mask into the LSTM.
    const summary = new L.LSTM({ units: 2 }).apply(cross);
    const model = new Model({ inputs: [ids, other, padding], outputs: [cross, scores, summary] });
    const attend = tf.cast(tf.greater(tf.randomUniform([5, 6, 4], 0, 1, 'float32', 4), 0.2), 'float32');
    const xs = [
      tf.tensor2d(IDS),
      tf.tensor2d([
        [1, 0, 2, 0],
        [0, 0, 3, 3],
        [4, 4, 0, 0],
        [0, 0, 0, 0],
        [7, 8, 9, 1],
      ]),
      attend,
    ];
    expect(await expectOnnxMatchesPredict(model, xs)).toBeLessThanOrEqual(1e-5);
    tf.dispose(xs);
  });

  it('a mask given in the call (a model input) wins over the input mask and flows on', async () => {
    const x = input({ shape: [5, 2] });
    const keep = input({ shape: [5], dtype: 'bool' });
    const masked = new L.Masking({ maskValue: 7 }).apply(x);
    const seq = new L.SimpleRNN({ units: 3, returnSequences: true, ...randomInit }).apply(masked, {
      mask: keep,
    }) as SymbolicTensor;
    const last = new L.GRU({ units: 2, ...randomInit }).apply(seq);
    const model = new Model({ inputs: [x, keep], outputs: [seq, last] });
    const xs = [
      tf.randomNormal([3, 5, 2], 0, 1, 'float32', 8),
      tf.tensor2d(
        [
          [true, true, false, true, false],
          [false, false, true, true, true],
          [true, true, true, true, true],
        ],
        undefined,
        'bool',
      ),
    ];
    expect(await expectOnnxMatchesPredict(model, xs)).toBeLessThanOrEqual(1e-5);
    tf.dispose(xs);
  });

  it('refuses a mask the export does not compute, and masks into layers it does not carry them to; nothing leaks', async () => {
    const a = input({ shape: [5] });
    const b = input({ shape: [5] });
    const embed = new L.Embedding({ inputDim: 4, outputDim: 3, maskZero: true });
    // Add merges its inputs' masks; the export does not.
    const merged = new L.Add({}).apply([embed.apply(a), embed.apply(b)]) as SymbolicTensor;
    const lstm = new L.LSTM({ units: 2 }).apply(merged);
    const pooled = new L.TimeDistributed({ layer: new L.Dense({ units: 2 }) }).apply(embed.apply(a));
    const model = new Model({ inputs: [a, b], outputs: [lstm, pooled] });
    const error = await expectNoLeakedTensors(() => {
      try {
        toOnnx(model);
        return null;
      } catch (e) {
        return e as Error;
      }
    });
    expect(error).toBeInstanceOf(ValueError);
    expect(error?.message).toMatch(/lstm.* \(LSTM\): its input's mask is made by add.* \(Add\)/);
    expect(error?.message).toMatch(/\(TimeDistributed\): its input carries a mask/);
  });
});
