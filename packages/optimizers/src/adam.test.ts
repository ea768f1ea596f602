import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { Adam } from './adam.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

/** Keras 3's Adam: the bias correction folded into alpha, epsilon added to sqrt(v). */
function kerasAdam(
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  amsgrad = false,
): ReferenceRule<{ m: number; v: number; vh: number }> {
  return {
    init: () => ({ m: 0, v: 0, vh: 0 }),
    update(x, g, s, t) {
      s.m += (g - s.m) * (1 - b1);
      s.v += (g * g - s.v) * (1 - b2);
      s.vh = Math.max(s.vh, s.v);
      const v = amsgrad ? s.vh : s.v;
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      return x - (alpha * s.m) / (Math.sqrt(v) + eps);
    },
  };
}

/** tfjs-core's (and the paper's) Adam: epsilon added to sqrt(v_hat) after bias correction. */
function tfjsAdam(lr: number, b1: number, b2: number, eps: number): ReferenceRule<{ m: number; v: number }> {
  return {
    init: () => ({ m: 0, v: 0 }),
    update(x, g, s, t) {
      s.m = b1 * s.m + (1 - b1) * g;
      s.v = b2 * s.v + (1 - b2) * g * g;
      const mHat = s.m / (1 - b1 ** t);
      const vHat = s.v / (1 - b2 ** t);
      return x - (lr * mHat) / (Math.sqrt(vHat) + eps);
    },
  };
}

describe('Adam', () => {
  it('matches Keras 3 update rule for five steps (defaults but learning rate)', () => {
    expectSteps(new Adam({ learningRate: 0.1 }), referenceRun(kerasAdam(0.1, 0.9, 0.999, 1e-7)));
  });

  it('matches Keras 3 with other betas and amsgrad', () => {
    const opt = new Adam({ learningRate: 0.05, beta1: 0.8, beta2: 0.9, epsilon: 1e-3, amsgrad: true });
    expectSteps(opt, referenceRun(kerasAdam(0.05, 0.8, 0.9, 1e-3, true)));
  });

  it("places epsilon as Keras 3 does, which differs from tfjs-core's Adam", () => {
    // A large epsilon makes the placement visible.
    const keras = referenceRun(kerasAdam(0.1, 0.9, 0.999, 0.1));
    const tfjs = referenceRun(tfjsAdam(0.1, 0.9, 0.999, 0.1));
    expect(Math.abs(keras[4][0][0] - tfjs[4][0][0])).toBeGreaterThan(1e-3);
    expectSteps(new Adam({ learningRate: 0.1, epsilon: 0.1 }), keras);
  });

  it('keeps its slots per variable in Keras order: momentum then velocity, then velocity_hat', () => {
    const adam = new Adam({ amsgrad: true });
    expect(variableNames(adam)).toEqual(['iteration', 'learning_rate']);
    const vars = expectSteps(adam, referenceRun(kerasAdam(0.001, 0.9, 0.999, 1e-7, true), 1));
    expect(variableNames(adam)).toEqual([
      'iteration',
      'learning_rate',
      'w_momentum',
      'w_velocity',
      'b_momentum',
      'b_velocity',
      'w_velocity_hat',
      'b_velocity_hat',
    ]);
    expect(adam.variables[2].path).toBe('adam/w_momentum');
    expect(adam.variables[2].shape).toEqual(vars[0].shape);
    expect(adam.variables[4].shape).toEqual(vars[1].shape);
    adam.dispose();
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new Adam({ learningRate: 0.01, beta1: 0.8, amsgrad: true, clipnorm: 1 });
    const keras = expectConfigRoundTrip(opt, Adam);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'beta_1', 'beta_2', 'epsilon', 'amsgrad']);
    expect(keras).toMatchObject({
      name: 'adam',
      learning_rate: 0.01,
      beta_1: 0.8,
      beta_2: 0.999,
      amsgrad: true,
      clipnorm: 1,
    });
    opt.dispose();
  });

  it('is registered as Adam and adam', () => {
    expect(registry.get('optimizer', 'Adam')).toBe(Adam);
    expect(registry.get('optimizer', 'adam')).toBe(Adam);
  });

  it('rejects beta_1 or beta_2 of 1 or more, and a negative epsilon', () => {
    expect(() => new Adam({ beta1: 1 })).toThrow(ValueError);
    expect(() => new Adam({ beta1: 1 })).toThrow('Received: beta_1=1');
    expect(() => new Adam({ beta1: 1.5 })).toThrow(/beta_1/);
    expect(() => new Adam({ beta2: 1 })).toThrow(/beta_2/);
    expect(() => new Adam({ epsilon: -1 })).toThrow(/epsilon/);
  });
});
