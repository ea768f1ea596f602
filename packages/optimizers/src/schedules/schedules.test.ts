import {
  deserializeKerasObject,
  type LearningRateSchedule,
  RegistryError,
  registry,
  type ScheduleIds,
  serializeKerasObject,
  ValueError,
} from '@strata/core';
import { describe, expect, it } from 'vitest';
import { CosineDecay } from './cosine-decay.js';
import { CosineDecayRestarts } from './cosine-decay-restarts.js';
import { ExponentialDecay } from './exponential-decay.js';
import { InverseTimeDecay } from './inverse-time-decay.js';
import { PiecewiseConstantDecay } from './piecewise-constant-decay.js';
import { PolynomialDecay } from './polynomial-decay.js';

const STEPS = [0, 1, 10, 1000];

function expectValues(
  schedule: LearningRateSchedule,
  formula: (step: number) => number,
  steps = STEPS,
): void {
  for (const s of steps) {
    const expected = formula(s);
    expect(
      Math.abs(schedule.call(s) - expected),
      `step ${s}: ${schedule.call(s)} vs ${expected}`,
    ).toBeLessThan(1e-12);
  }
}

function expectKerasRoundTrip(schedule: LearningRateSchedule, className: string): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(serializeKerasObject('schedule', schedule)));
  expect(json.module).toBe('keras.optimizers.schedules');
  expect(json.class_name).toBe(className);
  const again = deserializeKerasObject<LearningRateSchedule>('schedule', json);
  expect(again).toBeInstanceOf(schedule.constructor);
  expect(again.getConfig()).toEqual(schedule.getConfig());
  const direct = (schedule.constructor as typeof ExponentialDecay).fromConfig(schedule.getConfig());
  expect(direct.getConfig()).toEqual(schedule.getConfig());
  for (const s of STEPS) expect(again.call(s)).toBe(schedule.call(s));
  return json.config;
}

describe('ExponentialDecay', () => {
  it('is initial * rate^(step / decay_steps), floored in staircase mode', () => {
    expectValues(
      new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.5 }),
      (s) => 0.1 * 0.5 ** (s / 100),
    );
    expectValues(
      new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, staircase: true }),
      (s) => 0.1 * 0.5 ** Math.floor(s / 3),
    );
  });

  it('serializes as a Keras object', () => {
    const config = expectKerasRoundTrip(
      new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.5, staircase: true }),
      'ExponentialDecay',
    );
    expect(config).toEqual({
      initial_learning_rate: 0.1,
      decay_steps: 100,
      decay_rate: 0.5,
      staircase: true,
      name: 'ExponentialDecay',
    });
  });

  it('rejects decay_steps <= 0', () => {
    expect(() => new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 })).toThrow(
      'decay_steps=0',
    );
  });
});

describe('PiecewiseConstantDecay', () => {
  it('takes values[i] for boundaries[i-1] < step <= boundaries[i]', () => {
    const s = new PiecewiseConstantDecay({ boundaries: [1, 10], values: [1.0, 0.5, 0.1] });
    const expected: Record<number, number> = { 0: 1.0, 1: 1.0, 2: 0.5, 10: 0.5, 11: 0.1, 1000: 0.1 };
    expectValues(s, (step) => expected[step], [0, 1, 2, 10, 11, 1000]);
  });

  it('serializes as a Keras object', () => {
    const config = expectKerasRoundTrip(
      new PiecewiseConstantDecay({ boundaries: [5], values: [0.1, 0.01] }),
      'PiecewiseConstantDecay',
    );
    expect(config).toEqual({ boundaries: [5], values: [0.1, 0.01], name: 'PiecewiseConstant' });
  });

  it('rejects mismatched lengths and unordered boundaries', () => {
    expect(() => new PiecewiseConstantDecay({ boundaries: [1, 2], values: [1, 2] })).toThrow(ValueError);
    expect(() => new PiecewiseConstantDecay({ boundaries: [5, 2], values: [1, 2, 3] })).toThrow(/increasing/);
  });
});

describe('PolynomialDecay', () => {
  it('decays polynomially to end_learning_rate and stays there', () => {
    expectValues(
      new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 100, endLearningRate: 0.01, power: 2 }),
      (s) => 0.09 * (1 - Math.min(s, 100) / 100) ** 2 + 0.01,
    );
  });

  it('cycles with a period stretched to the next multiple of decay_steps', () => {
    const period = (s: number) => 100 * (s === 0 ? 1 : Math.ceil(s / 100));
    expectValues(
      new PolynomialDecay({
        initialLearningRate: 0.1,
        decaySteps: 100,
        endLearningRate: 0.01,
        power: 0.5,
        cycle: true,
      }),
      (s) => 0.09 * (1 - s / period(s)) ** 0.5 + 0.01,
      [...STEPS, 150],
    );
  });

  it('serializes as a Keras object with Keras defaults', () => {
    const config = expectKerasRoundTrip(
      new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10 }),
      'PolynomialDecay',
    );
    expect(config).toEqual({
      initial_learning_rate: 0.1,
      decay_steps: 10,
      end_learning_rate: 0.0001,
      power: 1,
      cycle: false,
      name: 'PolynomialDecay',
    });
  });
});

describe('InverseTimeDecay', () => {
  it('is initial / (1 + rate * step / decay_steps), floored in staircase mode', () => {
    expectValues(
      new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }),
      (s) => 0.1 / (1 + (0.5 * s) / 10),
    );
    expectValues(
      new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, staircase: true }),
      (s) => 0.1 / (1 + 0.5 * Math.floor(s / 3)),
    );
  });

  it('serializes as a Keras object', () => {
    expectKerasRoundTrip(
      new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }),
      'InverseTimeDecay',
    );
  });
});

describe('CosineDecay', () => {
  it('decays along a half cosine to alpha * initial', () => {
    expectValues(
      new CosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.1 }),
      (s) => 0.1 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, 100)) / 100)) + 0.1),
    );
  });

  it('warms up linearly to warmup_target, then decays from it', () => {
    const s = new CosineDecay({
      initialLearningRate: 0,
      decaySteps: 100,
      warmupTarget: 0.2,
      warmupSteps: 10,
      alpha: 0.05,
    });
    const formula = (step: number) => {
      if (step < 10) return (0.2 * step) / 10;
      const d = Math.min(step - 10, 100);
      return 0.2 * (0.95 * 0.5 * (1 + Math.cos((Math.PI * d) / 100)) + 0.05);
    };
    expectValues(s, formula, [...STEPS, 5, 60]);
    expect(s.call(1)).toBeCloseTo(0.02, 12);
    expect(s.call(10)).toBeCloseTo(0.2, 12);
    expect(s.call(1000)).toBeCloseTo(0.2 * 0.05, 12);
  });

  it('serializes as a Keras object', () => {
    const config = expectKerasRoundTrip(
      new CosineDecay({ initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.2, warmupSteps: 10 }),
      'CosineDecay',
    );
    expect(config).toEqual({
      initial_learning_rate: 0,
      decay_steps: 100,
      alpha: 0,
      name: 'CosineDecay',
      warmup_target: 0.2,
      warmup_steps: 10,
    });
  });
});

describe('CosineDecayRestarts', () => {
  /** Walks the periods (lengths first, first*t, first*t^2, ...) to find where `step` falls. */
  function sgdr(initial: number, first: number, tMul: number, mMul: number, alpha: number) {
    return (step: number) => {
      let start = 0;
      let length = first;
      let i = 0;
      while (step >= start + length) {
        start += length;
        length *= tMul;
        i++;
      }
      const fraction = (step - start) / length;
      return initial * ((1 - alpha) * 0.5 * mMul ** i * (1 + Math.cos(Math.PI * fraction)) + alpha);
    };
  }

  it('restarts with periods growing by t_mul and peaks shrinking by m_mul', () => {
    const s = new CosineDecayRestarts({
      initialLearningRate: 0.1,
      firstDecaySteps: 10,
      tMul: 2,
      mMul: 0.5,
      alpha: 0.1,
    });
    expectValues(s, sgdr(0.1, 10, 2, 0.5, 0.1), [...STEPS, 5, 29, 30, 45]);
  });

  it('restarts every first_decay_steps when t_mul is 1', () => {
    const s = new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, tMul: 1, mMul: 0.9 });
    expectValues(s, sgdr(0.1, 10, 1, 0.9, 0), [...STEPS, 15]);
  });

  it('serializes as a Keras object with t_mul and m_mul', () => {
    const config = expectKerasRoundTrip(
      new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10 }),
      'CosineDecayRestarts',
    );
    expect(config).toEqual({
      initial_learning_rate: 0.1,
      first_decay_steps: 10,
      t_mul: 2,
      m_mul: 1,
      alpha: 0,
      name: 'SGDRDecay',
    });
  });
});

describe('schedule registry', () => {
  it("registers every schedule under kind 'schedule'", () => {
    // Typed by declaration merging: a misspelled name would not compile.
    const names: (keyof ScheduleIds)[] = ['ExponentialDecay', 'CosineDecay', 'CosineDecayRestarts'];
    for (const name of names) expect(registry.has('schedule', name)).toBe(true);
    for (const cls of [
      ExponentialDecay,
      PiecewiseConstantDecay,
      PolynomialDecay,
      InverseTimeDecay,
      CosineDecay,
      CosineDecayRestarts,
    ]) {
      expect(registry.get('schedule', cls.className)).toBe(cls);
    }
  });

  it('fails on an unknown schedule, naming the kind', () => {
    const json = {
      module: 'keras.optimizers.schedules',
      class_name: 'NoSuchDecay',
      config: {},
      registered_name: null,
    };
    expect(() => deserializeKerasObject('schedule', json)).toThrow(RegistryError);
    expect(() => deserializeKerasObject('schedule', json)).toThrow(/Unknown schedule: 'NoSuchDecay'/);
  });
});
