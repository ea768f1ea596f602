import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { Adamax } from './adamax.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

function kerasAdamax(lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-7): ReferenceRule<{ m: number; u: number }> {
  return {
    init: () => ({ m: 0, u: 0 }),
    update(x, g, s, t) {
      s.m += (g - s.m) * (1 - b1);
      s.u = Math.max(b2 * s.u, Math.abs(g));
      return x - (lr * s.m) / ((1 - b1 ** t) * (s.u + eps));
    },
  };
}

describe('Adamax', () => {
  it('matches Keras 3 for five steps', () => {
    expectSteps(new Adamax({ learningRate: 0.1 }), referenceRun(kerasAdamax(0.1)));
  });

  it('matches Keras 3 with a fast-decaying norm (the max switches between terms)', () => {
    expectSteps(
      new Adamax({ learningRate: 0.2, beta1: 0.5, beta2: 0.3 }),
      referenceRun(kerasAdamax(0.2, 0.5, 0.3)),
    );
  });

  it('keeps momentum then norm per variable', () => {
    const opt = new Adamax();
    expectSteps(opt, referenceRun(kerasAdamax(0.001), 1));
    expect(variableNames(opt)).toEqual([
      'iteration',
      'learning_rate',
      'w_momentum',
      'w_norm',
      'b_momentum',
      'b_norm',
    ]);
    opt.dispose();
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new Adamax({ beta2: 0.99 });
    const keras = expectConfigRoundTrip(opt, Adamax);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'beta_1', 'beta_2', 'epsilon']);
    expect(keras).toMatchObject({ name: 'adamax', beta_2: 0.99 });
    opt.dispose();
  });

  it('is registered as Adamax and adamax', () => {
    expect(registry.get('optimizer', 'adamax')).toBe(Adamax);
  });

  it('rejects beta_1 of 1 or more', () => {
    expect(() => new Adamax({ beta1: 1 })).toThrow(ValueError);
  });
});
