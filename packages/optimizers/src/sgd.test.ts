import { registry, resolveIdentifier, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { SGD } from './sgd.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

/** Keras 3's SGD: velocity = momentum * velocity - lr * g; w += velocity (Nesterov: w += momentum * velocity - lr * g). */
function kerasSGD(lr: number, momentum = 0, nesterov = false): ReferenceRule<{ m: number }> {
  return {
    init: () => ({ m: 0 }),
    update(x, g, s) {
      if (momentum === 0) return x - lr * g;
      s.m = momentum * s.m - lr * g;
      return nesterov ? x + momentum * s.m - lr * g : x + s.m;
    },
  };
}

describe('SGD', () => {
  it('matches Keras 3 plain gradient descent for five steps', () => {
    expectSteps(new SGD({ learningRate: 0.1 }), referenceRun(kerasSGD(0.1)));
  });

  it('matches Keras 3 with momentum', () => {
    expectSteps(new SGD({ learningRate: 0.1, momentum: 0.9 }), referenceRun(kerasSGD(0.1, 0.9)));
  });

  it('matches Keras 3 with Nesterov momentum', () => {
    const nesterov = referenceRun(kerasSGD(0.1, 0.9, true));
    expect(Math.abs(nesterov[4][0][0] - referenceRun(kerasSGD(0.1, 0.9))[4][0][0])).toBeGreaterThan(1e-3);
    expectSteps(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), nesterov);
  });

  it('has a momentum slot per variable only when momentum is set', () => {
    const plain = new SGD();
    expectSteps(plain, referenceRun(kerasSGD(0.01), 1));
    expect(variableNames(plain)).toEqual(['iteration', 'learning_rate']);
    const heavy = new SGD({ momentum: 0.5 });
    expectSteps(heavy, referenceRun(kerasSGD(0.01, 0.5), 1));
    expect(variableNames(heavy)).toEqual(['iteration', 'learning_rate', 'w_momentum', 'b_momentum']);
    plain.dispose();
    heavy.dispose();
  });

  it('round-trips its config with Keras keys and defaults', () => {
    const opt = new SGD({ momentum: 0.9, nesterov: true });
    const keras = expectConfigRoundTrip(opt, SGD);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'momentum', 'nesterov']);
    expect(keras).toMatchObject({ name: 'SGD', learning_rate: 0.01, momentum: 0.9, nesterov: true });
    opt.dispose();
  });

  it("is registered as SGD and 'sgd'", () => {
    expect(registry.get('optimizer', 'SGD')).toBe(SGD);
    const opt = resolveIdentifier<SGD>('optimizer', 'sgd');
    expect(opt).toBeInstanceOf(SGD);
    expect(opt?.learningRate).toBe(0.01);
    opt?.dispose();
  });

  it('rejects a momentum outside [0, 1]', () => {
    expect(() => new SGD({ momentum: -0.1 })).toThrow(ValueError);
    expect(() => new SGD({ momentum: 1.5 })).toThrow('Received: momentum=1.5');
  });
});
