import { registry } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../test/register-gradients.js';
import { getActivation, serializeActivation } from './index.js';

const xs = [-3, -1, -0.25, 0, 0.5, 2, 7];
const sig = (v: number) => 1 / (1 + Math.exp(-v));
// Abramowitz–Stegun 7.1.26 is too coarse for 1e-6; use a series/continued-fraction-free high-precision erf.
function erf(v: number): number {
  // Taylor series converges quickly for |v| < 3 (all test points of gelu use |v/√2| < 5).
  let sum = 0;
  let term = v;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-v * v) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const expected: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(v, 0),
  relu6: (v) => Math.min(Math.max(v, 0), 6),
  leaky_relu: (v) => (v >= 0 ? v : 0.2 * v),
  elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
  selu: (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1)),
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  sigmoid: sig,
  hard_sigmoid: (v) => Math.min(Math.max(v + 3, 0), 6) / 6,
  tanh: Math.tanh,
  softplus: (v) => Math.log1p(Math.exp(v)),
  softsign: (v) => v / (1 + Math.abs(v)),
  silu: (v) => v * sig(v),
  swish: (v) => v * sig(v),
  mish: (v) => v * Math.tanh(Math.log1p(Math.exp(v))),
  exponential: Math.exp,
};

describe('activations', () => {
  for (const [name, f] of Object.entries(expected)) {
    it(`${name} matches its formula and does not leak`, async () => {
      const x = tf.tensor1d(xs);
      const y = await expectNoLeakedTensors(() => {
        const out = getActivation(name)(x);
        return out === x ? tf.clone(out) : out;
      });
      expectTensorsClose(y, xs.map(f), { atol: 1e-5, rtol: 1e-5 });
      tf.dispose([x, y]);
    });
  }

  it('softmax and log_softmax normalize over the last axis', () => {
    const rows = [
      [1, 2, 3],
      [0, 0, -1],
    ];
    const x = tf.tensor2d(rows);
    const soft = rows.map((r) => {
      const e = r.map(Math.exp);
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => v / s);
    });
    expectTensorsClose(getActivation('softmax')(x), soft, { atol: 1e-6 });
    expectTensorsClose(
      getActivation('log_softmax')(x),
      soft.map((r) => r.map(Math.log)),
      { atol: 1e-5 },
    );
    x.dispose();
  });

  it('gelu and hard_sigmoid have gradients', () => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(getActivation('hard_sigmoid')(x)))(tf.tensor1d([-4, 0, 4]));
    expectTensorsClose(g, [0, 1 / 6, 0]);
    const gg = tf.grad((x: tf.Tensor) => tf.sum(getActivation('gelu')(x)))(tf.tensor1d([0]));
    expectTensorsClose(gg, [0.5], { atol: 1e-6 });
  });

  it('resolves Keras names, camelCase and Keras JSON, and serializes back to the Keras name', () => {
    expect(getActivation('swish')).toBe(getActivation('silu'));
    expect(getActivation('leakyRelu')).toBe(getActivation('leaky_relu'));
    expect(getActivation('hardSigmoid')).toBe(getActivation('hard_sigmoid'));
    expect(getActivation(null)).toBe(getActivation('linear'));
    expect(
      getActivation({
        module: 'builtins',
        class_name: 'function',
        config: 'relu',
        registered_name: 'function',
      }),
    ).toBe(getActivation('relu'));
    expect(serializeActivation(getActivation('swish'))).toBe('silu');
    expect(serializeActivation(getActivation('leakyRelu'))).toBe('leaky_relu');
    expect(registry.list('activation')).toEqual(
      expect.arrayContaining(Object.keys(expected).filter((k) => k !== 'swish')),
    );
  });

  it('fails on unknown names, naming what it received', () => {
    expect(() => getActivation('relu7')).toThrow(
      /Could not interpret activation function identifier. Received: activation=relu7/,
    );
    expect(() => serializeActivation((x) => x)).toThrow(/not registered/);
  });
});
