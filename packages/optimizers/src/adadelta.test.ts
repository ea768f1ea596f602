import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { Adadelta } from './adadelta.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

function kerasAdadelta(lr: number, rho = 0.95, eps = 1e-7): ReferenceRule<{ ag: number; ad: number }> {
  return {
    init: () => ({ ag: 0, ad: 0 }),
    update(x, g, s) {
      s.ag = rho * s.ag + (1 - rho) * g * g;
      const delta = -(Math.sqrt(s.ad + eps) * g) / Math.sqrt(s.ag + eps);
      s.ad = rho * s.ad + (1 - rho) * delta * delta;
      return x + lr * delta;
    },
  };
}

describe('Adadelta', () => {
  it('matches Keras 3 for five steps', () => {
    expectSteps(
      new Adadelta({ learningRate: 1.0, epsilon: 1e-3 }),
      referenceRun(kerasAdadelta(1.0, 0.95, 1e-3)),
    );
  });

  it('matches Keras 3 with the default epsilon and another rho', () => {
    expectSteps(new Adadelta({ learningRate: 1.0, rho: 0.5 }), referenceRun(kerasAdadelta(1.0, 0.5)));
  });

  it('keeps accumulated_grad then accumulated_delta_var per variable', () => {
    const opt = new Adadelta();
    expectSteps(opt, referenceRun(kerasAdadelta(0.001), 1));
    expect(variableNames(opt)).toEqual([
      'iteration',
      'learning_rate',
      'w_accumulated_grad',
      'w_accumulated_delta_var',
      'b_accumulated_grad',
      'b_accumulated_delta_var',
    ]);
    opt.dispose();
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new Adadelta({ rho: 0.9 });
    const keras = expectConfigRoundTrip(opt, Adadelta);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'rho', 'epsilon']);
    expect(keras).toMatchObject({ name: 'adadelta', rho: 0.9, epsilon: 1e-7 });
    opt.dispose();
  });

  it('is registered as Adadelta and adadelta', () => {
    expect(registry.get('optimizer', 'adadelta')).toBe(Adadelta);
  });

  it('rejects a rho outside [0, 1]', () => {
    expect(() => new Adadelta({ rho: 2 })).toThrow(ValueError);
  });
});
