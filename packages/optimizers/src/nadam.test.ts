import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { Nadam } from './nadam.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

function kerasNadam(lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-7): ReferenceRule<{ m: number; v: number }> {
  const mu = (t: number) => b1 * (1 - 0.5 * 0.96 ** t);
  // u_product after update t: the product of mu(1..t).
  const product = (t: number) => {
    let p = 1;
    for (let k = 1; k <= t; k++) p *= mu(k);
    return p;
  };
  return {
    init: () => ({ m: 0, v: 0 }),
    update(x, g, s, t) {
      const uT = mu(t);
      const uNext = mu(t + 1);
      const prodT = product(t);
      const prodNext = prodT * uNext;
      s.m += (g - s.m) * (1 - b1);
      s.v += (g * g - s.v) * (1 - b2);
      const mHat = (uNext * s.m) / (1 - prodNext) + ((1 - uT) * g) / (1 - prodT);
      const vHat = s.v / (1 - b2 ** t);
      return x - (mHat * lr) / (Math.sqrt(vHat) + eps);
    },
  };
}

describe('Nadam', () => {
  it('matches Keras 3 for five steps', () => {
    expectSteps(new Nadam({ learningRate: 0.1 }), referenceRun(kerasNadam(0.1)));
  });

  it('matches Keras 3 with other betas', () => {
    expectSteps(
      new Nadam({ learningRate: 0.05, beta1: 0.5, beta2: 0.9 }),
      referenceRun(kerasNadam(0.05, 0.5, 0.9)),
    );
  });

  it('keeps momentum and velocity per variable, then the u_product variable', () => {
    const opt = new Nadam();
    expectSteps(opt, referenceRun(kerasNadam(0.001), 2));
    expect(variableNames(opt)).toEqual([
      'iteration',
      'learning_rate',
      'w_momentum',
      'w_velocity',
      'b_momentum',
      'b_velocity',
      'u_product',
    ]);
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** t);
    expect(opt.variables[6].value.dataSync()[0]).toBeCloseTo(mu(1) * mu(2), 6);
    opt.dispose();
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new Nadam({ beta1: 0.8 });
    const keras = expectConfigRoundTrip(opt, Nadam);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'beta_1', 'beta_2', 'epsilon']);
    expect(keras).toMatchObject({ name: 'nadam', beta_1: 0.8 });
    opt.dispose();
  });

  it('is registered as Nadam and nadam', () => {
    expect(registry.get('optimizer', 'nadam')).toBe(Nadam);
  });

  it('rejects beta_1 of 1 or more', () => {
    expect(() => new Nadam({ beta1: 1 })).toThrow(ValueError);
  });
});
