import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { Lion } from './lion.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

function kerasLion(lr: number, b1 = 0.9, b2 = 0.99): ReferenceRule<{ m: number }> {
  return {
    init: () => ({ m: 0 }),
    update(x, g, s) {
      const next = x - lr * Math.sign(b1 * s.m + (1 - b1) * g);
      s.m = b2 * s.m + (1 - b2) * g;
      return next;
    },
  };
}

describe('Lion', () => {
  it('matches Keras 3 for five steps', () => {
    expectSteps(new Lion({ learningRate: 0.05 }), referenceRun(kerasLion(0.05)));
  });

  it('matches Keras 3 when the momentum outweighs the gradient and flips the sign', () => {
    // lr 0.4 overshoots the target of b[0]; the sign then depends on the momentum term.
    expectSteps(
      new Lion({ learningRate: 0.4, beta1: 0.95, beta2: 0.5 }),
      referenceRun(kerasLion(0.4, 0.95, 0.5)),
    );
  });

  it('keeps one momentum per variable', () => {
    const opt = new Lion();
    expectSteps(opt, referenceRun(kerasLion(0.001), 1));
    expect(variableNames(opt)).toEqual(['iteration', 'learning_rate', 'w_momentum', 'b_momentum']);
    opt.dispose();
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new Lion({ beta2: 0.95 });
    const keras = expectConfigRoundTrip(opt, Lion);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'beta_1', 'beta_2']);
    expect(keras).toMatchObject({ name: 'lion', beta_1: 0.9, beta_2: 0.95 });
    opt.dispose();
  });

  it('is registered as Lion and lion', () => {
    expect(registry.get('optimizer', 'lion')).toBe(Lion);
  });

  it('rejects beta_1 outside (0, 1], as Keras does', () => {
    expect(() => new Lion({ beta1: 0 })).toThrow(ValueError);
    expect(() => new Lion({ beta1: 1.2 })).toThrow('SignSGD');
    expect(() => new Lion({ beta1: 1 }).dispose()).not.toThrow();
  });
});
