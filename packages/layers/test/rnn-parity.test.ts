import type { Layer } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';

import { GRU, LSTM, SimpleRNN } from '../src/index.js';
import { expectParity } from './parity-helpers.js';

type TflLayer = tfl.layers.Layer;

/** Padding at the end, at the start, and none: masked steps must keep the states. */
function makeMask(): tf.Tensor2D {
  return tf.tensor2d(
    [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
      [0, 1, 1, 1, 0],
    ],
    undefined,
    'bool',
  );
}

/**
 * Like expectParity, with a `[batch, time]` mask passed to both layers: outputs, gradients with respect
 * to the input and to every weight must agree. Disposes both layers.
 */
async function expectMaskedParity(ours: Layer, theirs: TflLayer, atol = 1e-5): Promise<void> {
  const x = tf.randomUniform([3, 5, 4], -1, 1);
  const mask = makeMask();
  tf.dispose(ours.apply(x, { mask }));
  tf.dispose(theirs.apply(x, { mask }) as tf.Tensor);
  const weights = ours.getWeights();
  theirs.setWeights(weights);
  tf.dispose(weights);
  await expectNoLeakedTensors(() => {
    tf.tidy(() => {
      const a = ours.apply(x, { mask }) as tf.Tensor;
      const b = theirs.apply(x, { mask }) as tf.Tensor;
      expectTensorsClose(a, b, { atol });
      const r = tf.randomUniform(a.shape, 0.5, 1.5);
      const ourLoss = (input: tf.Tensor) =>
        tf.sum(tf.mul(ours.apply(input, { mask }) as tf.Tensor, r)) as tf.Scalar;
      const theirLoss = (input: tf.Tensor) =>
        tf.sum(tf.mul(theirs.apply(input, { mask }) as tf.Tensor, r)) as tf.Scalar;
      expectTensorsClose(tf.grad(ourLoss)(x), tf.grad(theirLoss)(x), { atol });
      const ourVars = ours.trainableWeights.map((w) => w.value);
      const theirVars = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
      expect(ourVars.length).toBe(theirVars.length);
      const g1 = tf.variableGrads(() => ourLoss(x), ourVars).grads;
      const g2 = tf.variableGrads(() => theirLoss(x), theirVars).grads;
      ourVars.forEach((v, i) => {
        expectTensorsClose(g1[v.name], g2[theirVars[i].name], { atol });
      });
    });
  });
  tf.dispose([x, mask]);
  ours.dispose();
  theirs.dispose();
}

const VARIANTS = [
  { returnSequences: false, goBackwards: false },
  { returnSequences: true, goBackwards: false },
  { returnSequences: true, goBackwards: true },
  { returnSequences: false, goBackwards: true },
];

// Random biases so the bias gradient path is exercised with non-trivial values.
const BIAS = { biasInitializer: 'random_normal' } as const;

describe('recurrent layers match @tensorflow/tfjs-layers', () => {
  for (const v of VARIANTS) {
    const tag = `returnSequences=${v.returnSequences} goBackwards=${v.goBackwards}`;
    it(`LSTM, ${tag}`, async () => {
      await expectParity(
        new LSTM({ units: 3, ...v, ...BIAS }),
        tfl.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', ...v }),
        [3, 5, 4],
      );
      await expectMaskedParity(
        new LSTM({ units: 3, ...v, ...BIAS }),
        tfl.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', ...v }),
      );
    });
    it(`GRU (resetAfter=false), ${tag}`, async () => {
      await expectParity(
        new GRU({ units: 3, resetAfter: false, ...v, ...BIAS }),
        tfl.layers.gru({ units: 3, recurrentActivation: 'sigmoid', ...v }),
        [3, 5, 4],
      );
      await expectMaskedParity(
        new GRU({ units: 3, resetAfter: false, ...v, ...BIAS }),
        tfl.layers.gru({ units: 3, recurrentActivation: 'sigmoid', ...v }),
      );
    });
    it(`SimpleRNN, ${tag}`, async () => {
      await expectParity(
        new SimpleRNN({ units: 3, ...v, ...BIAS }),
        tfl.layers.simpleRNN({ units: 3, ...v }),
        [3, 5, 4],
      );
      await expectMaskedParity(
        new SimpleRNN({ units: 3, ...v, ...BIAS }),
        tfl.layers.simpleRNN({ units: 3, ...v }),
      );
    });
  }

  it('LSTM and GRU with other activations and without bias', async () => {
    await expectParity(
      new LSTM({ units: 4, activation: 'relu', recurrentActivation: 'tanh', useBias: false }),
      tfl.layers.lstm({ units: 4, activation: 'relu', recurrentActivation: 'tanh', useBias: false }),
      [2, 6, 3],
    );
    await expectParity(
      new GRU({
        units: 4,
        activation: 'elu',
        recurrentActivation: 'sigmoid',
        useBias: false,
        resetAfter: false,
      }),
      tfl.layers.gru({ units: 4, activation: 'elu', recurrentActivation: 'sigmoid', useBias: false }),
      [2, 6, 3],
    );
  });
});

/**
 * GRU with resetAfter=true (Keras 3's default) has no tfjs-layers counterpart; the reference here is the
 * textbook formula, one timestep at a time:
 *   z = σ(x·Wz + bz + h·Uz + b'z),  r = σ(x·Wr + br + h·Ur + b'r)
 *   ĥ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h)),  h ← z ⊙ h + (1 − z) ⊙ ĥ
 * with masked timesteps keeping h.
 */
function referenceGRU(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor2D,
  units: number,
  mask: tf.Tensor2D | null,
  returnSequences: boolean,
): tf.Tensor {
  const [batch, time] = x.shape;
  const [inputBias, recurrentBias] = tf.unstack(bias);
  const W = tf.split(kernel, 3, 1);
  const U = tf.split(recurrentKernel, 3, 1);
  const bi = tf.split(inputBias, 3);
  const br = tf.split(recurrentBias, 3);
  let h: tf.Tensor = tf.zeros([batch, units]);
  const outs: tf.Tensor[] = [];
  for (let t = 0; t < time; t++) {
    const xt = tf.squeeze(tf.slice(x, [0, t, 0], [-1, 1, -1]), [1]);
    const gate = (k: number) => tf.add(tf.add(tf.matMul(xt, W[k]), bi[k]), tf.add(tf.matMul(h, U[k]), br[k]));
    const z = tf.sigmoid(gate(0));
    const r = tf.sigmoid(gate(1));
    const hh = tf.tanh(
      tf.add(tf.add(tf.matMul(xt, W[2]), bi[2]), tf.mul(r, tf.add(tf.matMul(h, U[2]), br[2]))),
    );
    let next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    if (mask) {
      const m = tf.cast(tf.slice(mask, [0, t], [-1, 1]), 'float32');
      next = tf.add(tf.mul(m, next), tf.mul(tf.sub(1, m), h));
    }
    h = next;
    outs.push(h);
  }
  return returnSequences ? tf.stack(outs, 1) : h;
}

describe('GRU with resetAfter=true matches the formula', () => {
  for (const masked of [false, true]) {
    for (const returnSequences of [false, true]) {
      it(`masked=${masked} returnSequences=${returnSequences}`, async () => {
        const layer = new GRU({ units: 3, returnSequences, biasInitializer: 'random_normal' });
        const x = tf.randomUniform([3, 5, 4], -1, 1) as tf.Tensor3D;
        const mask = masked ? makeMask() : null;
        tf.dispose(layer.apply(x));
        const [kernel, recurrentKernel, bias] = layer.weights;
        expect(bias.shape).toEqual([2, 9]);
        await expectNoLeakedTensors(() =>
          tf.tidy(() => {
            const r = tf.randomUniform(returnSequences ? [3, 5, 3] : [3, 3], 0.5, 1.5);
            const ours = (input: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor) => {
              // Route the weights through the layer's variables so gradients reach them.
              kernel.value.assign(k);
              recurrentKernel.value.assign(rk);
              bias.value.assign(b);
              return layer.apply(input, { mask }) as tf.Tensor;
            };
            const k0 = kernel.read();
            const rk0 = recurrentKernel.read();
            const b0 = bias.read();
            expectTensorsClose(
              ours(x, k0, rk0, b0),
              referenceGRU(
                x,
                k0 as tf.Tensor2D,
                rk0 as tf.Tensor2D,
                b0 as tf.Tensor2D,
                3,
                mask,
                returnSequences,
              ),
              { atol: 1e-5 },
            );
            const ourLoss = (input: tf.Tensor) =>
              tf.sum(tf.mul(layer.apply(input, { mask }) as tf.Tensor, r)) as tf.Scalar;
            const refLoss = (input: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor) =>
              tf.sum(
                tf.mul(
                  referenceGRU(
                    input as tf.Tensor3D,
                    k as tf.Tensor2D,
                    rk as tf.Tensor2D,
                    b as tf.Tensor2D,
                    3,
                    mask,
                    returnSequences,
                  ),
                  r,
                ),
              ) as tf.Scalar;
            const refGrads = tf.grads((input: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor) =>
              refLoss(input, k, rk, b),
            )([x, k0, rk0, b0]);
            expectTensorsClose(tf.grad(ourLoss)(x), refGrads[0], { atol: 1e-5 });
            const vars = [kernel.value, recurrentKernel.value, bias.value];
            const { grads } = tf.variableGrads(() => ourLoss(x), vars);
            vars.forEach((v, i) => {
              expectTensorsClose(grads[v.name], refGrads[i + 1], { atol: 1e-5 });
            });
          }),
        );
        tf.dispose([x, ...(mask ? [mask] : [])]);
        layer.dispose();
      });
    }
  }
});
