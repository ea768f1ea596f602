import { describe, expect, test } from 'vitest';

import { expectClose, headlessChromiumOptions, seededRandom, seededValues } from './index.js';

describe('@strata/core/testing helpers', () => {
  test('seededRandom is mulberry32: the first values for seed 42', () => {
    // From an independent Python implementation of mulberry32 in explicit uint32 arithmetic.
    const random = seededRandom(42);
    const expected = [0.6011037519201636, 0.44829055899754167, 0.8524657934904099];
    for (const e of expected) expect(random()).toBe(e);
  });

  test('seededRandom repeats for a seed and differs between seeds; values lie in [0, 1)', () => {
    const a = Array.from({ length: 1000 }, seededRandom(7));
    expect(Array.from({ length: 1000 }, seededRandom(7))).toEqual(a);
    expect(Array.from({ length: 1000 }, seededRandom(8))).not.toEqual(a);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  test('seededValues spreads seededRandom over [low, high)', () => {
    const random = seededRandom(3);
    const expected = Float32Array.from({ length: 5 }, () => -0.5 + 2 * random());
    expect(seededValues(5, 3, -0.5, 1.5)).toEqual(expected);
    const unit = seededValues(1000, 3);
    expect(unit.every((v) => v >= -1 && v < 1)).toBe(true);
  });

  test('expectClose: absolute below 1, relative above; names the first index that differs', () => {
    expect(() => expectClose([0.3 + 1e-6, 1e6 + 5], [0.3, 1e6], 1e-5)).not.toThrow();
    expect(() => expectClose([0.3, 1e6 + 20], [0.3, 1e6], 1e-5)).toThrow(/index 1: actual 1000020/);
    expect(() => expectClose([0.3 + 2e-5], [0.3], 1e-5)).toThrow(/index 0/);
    expect(() => expectClose([Number.NaN], [0])).toThrow(/index 0/);
    expect(() => expectClose([1, 2], [1])).toThrow('Lengths differ: actual 2 vs expected 1');
  });

  test('headlessChromiumOptions runs WebGL on SwiftShader, headless', () => {
    const options = headlessChromiumOptions();
    expect(options.headless).toBe(true);
    expect(options.args).toContain('--use-angle=swiftshader');
  });
});
