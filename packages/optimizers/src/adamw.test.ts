import { registry, ValueError } from '@strata/core';
import { describe, expect, it } from 'vitest';

import { AdamW } from './adamw.js';
import {
  BASE_KERAS_KEYS,
  expectConfigRoundTrip,
  expectSteps,
  type ReferenceRule,
  referenceRun,
} from './test-support.js';

/** Keras 3's AdamW: w -= w * weight_decay * lr before Adam's update (whose gradient was taken before the decay). */
function kerasAdamW(
  lr: number,
  wd: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-7,
): ReferenceRule<{ m: number; v: number }> {
  return {
    init: () => ({ m: 0, v: 0 }),
    update(x, g, s, t) {
      x = x - x * wd * lr;
      s.m += (g - s.m) * (1 - b1);
      s.v += (g * g - s.v) * (1 - b2);
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      return x - (alpha * s.m) / (Math.sqrt(s.v) + eps);
    },
  };
}

describe('AdamW', () => {
  it('matches Keras 3 decoupled weight decay plus Adam for five steps', () => {
    expectSteps(new AdamW({ learningRate: 0.1, weightDecay: 0.5 }), referenceRun(kerasAdamW(0.1, 0.5)));
  });

  it('defaults weight decay to 0.004', () => {
    const opt = new AdamW({ learningRate: 0.1 });
    expect(opt.weightDecay).toBe(0.004);
    expectSteps(opt, referenceRun(kerasAdamW(0.1, 0.004)));
  });

  it('round-trips its config with Keras keys', () => {
    const opt = new AdamW({ weightDecay: 0.01 });
    const keras = expectConfigRoundTrip(opt, AdamW);
    expect(Object.keys(keras)).toEqual([...BASE_KERAS_KEYS, 'beta_1', 'beta_2', 'epsilon', 'amsgrad']);
    expect(keras).toMatchObject({ name: 'adamw', weight_decay: 0.01 });
    opt.dispose();
  });

  it('is registered as AdamW and adamw', () => {
    expect(registry.get('optimizer', 'AdamW')).toBe(AdamW);
    expect(registry.get('optimizer', 'adamw')).toBe(AdamW);
  });

  it('rejects a null weight decay and beta_1 of 1', () => {
    expect(() => new AdamW({ weightDecay: null })).toThrow('weight_decay=None');
    expect(() => new AdamW({ beta1: 1 })).toThrow(ValueError);
  });
});
