import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { Adagrad } from './adagrad.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
  variableNames,
} from './test-support.js';

function kerasAdagrad(lr: number, initial = 0.1, eps = 1e-7): ReferenceRule<{ acc: number }> {
  return {
    init: () => ({ acc: initial }),
    update(x, g, s) {
      s.acc += g * g;
      return x - (lr * g) / Math.sqrt(s.acc + eps);
    },
  };
}

describe('Adagrad', () => {
  it('matches Keras 3 for five steps', () => {
    expectSteps(new Adagrad({ learningRate: 0.1 }), referenceRun(kerasAdagrad(0.1)));
  });

  it('matches Keras 3 with another initial accumulator value', () => {
    expectSteps(
      new Adagrad({ learningRate: 0.2, initialAccumulatorValue: 1, epsilon: 1e-3 }),
      referenceRun(kerasAdagrad(0.2, 1, 1e-3)),
    );
  });

  it('has one accumulator per variable, filled with the initial value', () => {
    const opt = new Adagrad({ initialAccumulatorValue: 0.3, learningRate: 0 });
    expectSteps(opt, referenceRun(kerasAdagrad(0, 0.3), 1));
    expect(variableNames(opt)).toEqual(['iteration', 'learning_rate', 'w_accumulator', 'b_accumulator']);
    // learning rate 0: the accumulator holds initial + g^2 for g = 2 * (0.3 - (-0.2)) = 1 at b[0].
    expect(opt.variables[3].value.dataSync()[0]).toBeCloseTo(0.3 + 1, 6);
    opt.dispose();
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new Adagrad({ initialAccumulatorValue: 0.5 });
    const keras = expectConfigRoundTrip(opt, Adagrad);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'initial_accumulator_value', 'epsilon']);
    expect(keras).toMatchObject({ name: 'adagrad', initial_accumulator_value: 0.5 });
    opt.dispose();
  });

  it('is registered as Adagrad and adagrad', () => {
    expect(registry.get('optimizer', 'adagrad')).toBe(Adagrad);
  });

  it('rejects a negative initial accumulator value', () => {
    expect(() => new Adagrad({ initialAccumulatorValue: -1 })).toThrow(ValueError);
  });
});
