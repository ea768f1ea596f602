import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { RMSprop } from './rmsprop.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

function kerasRMSprop(
  lr: number,
  rho = 0.9,
  momentum = 0,
  eps = 1e-7,
  centered = false,
): ReferenceRule<{ vel: number; mom: number; avg: number }> {
  return {
    init: () => ({ vel: 0, mom: 0, avg: 0 }),
    update(x, g, s) {
      s.vel = rho * s.vel + (1 - rho) * g * g;
      let denominator = s.vel + eps;
      if (centered) {
        s.avg = rho * s.avg + (1 - rho) * g;
        denominator = s.vel - s.avg * s.avg + eps;
      }
      const increment = (lr * g) / Math.sqrt(denominator);
      if (momentum > 0) {
        s.mom = momentum * s.mom + increment;
        return x - s.mom;
      }
      return x - increment;
    },
  };
}

describe('RMSprop', () => {
  it('matches Keras 3 for five steps', () => {
    expectSteps(new RMSprop({ learningRate: 0.01 }), referenceRun(kerasRMSprop(0.01)));
  });

  it('matches Keras 3 with momentum and centered', () => {
    const opt = new RMSprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5, centered: true, epsilon: 1e-4 });
    expectSteps(opt, referenceRun(kerasRMSprop(0.01, 0.8, 0.5, 1e-4, true)));
  });

  it('adds each kind of slot for all variables before the next kind, as Keras does', () => {
    const opt = new RMSprop({ momentum: 0.5, centered: true });
    expectSteps(opt, referenceRun(kerasRMSprop(0.001, 0.9, 0.5, 1e-7, true), 1));
    expect(variableNames(opt)).toEqual([
      'iteration',
      'learning_rate',
      'w_velocity',
      'b_velocity',
      'w_momentum',
      'b_momentum',
      'w_average_gradient',
      'b_average_gradient',
    ]);
    opt.dispose();
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new RMSprop({ rho: 0.8, momentum: 0.1, centered: true });
    const keras = expectConfigRoundTrip(opt, RMSprop);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'rho', 'momentum', 'epsilon', 'centered']);
    expect(keras).toMatchObject({ name: 'rmsprop', rho: 0.8, momentum: 0.1, centered: true });
    opt.dispose();
  });

  it('is registered as RMSprop and rmsprop', () => {
    expect(registry.get('optimizer', 'RMSprop')).toBe(RMSprop);
    expect(registry.get('optimizer', 'rmsprop')).toBe(RMSprop);
  });

  it('rejects rho or momentum outside [0, 1]', () => {
    expect(() => new RMSprop({ rho: 1.1 })).toThrow(ValueError);
    expect(() => new RMSprop({ momentum: -1 })).toThrow(/momentum/);
  });
});
