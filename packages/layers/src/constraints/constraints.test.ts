import { expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { getConstraint, MaxNorm, MinMaxNorm, NonNeg, serializeConstraint, UnitNorm } from './index.js';

describe('constraints', () => {
  // Column norms along axis 0: [5, 0.6].
  const w = tf.tensor2d([
    [3, 0],
    [4, -0.6],
  ]);
  it('projects weights as Keras 3 does', () => {
    expectTensorsClose(
      new MaxNorm({ maxValue: 2 }).apply(w),
      [
        [(3 * 2) / 5, 0],
        [(4 * 2) / 5, -0.6],
      ],
      { atol: 1e-6 },
    );
    expectTensorsClose(
      new UnitNorm().apply(w),
      [
        [0.6, 0],
        [0.8, -1],
      ],
      { atol: 1e-6 },
    );
    expectTensorsClose(new NonNeg().apply(w), [
      [3, 0],
      [4, 0],
    ]);
    // rate 0.5: halfway between the norm and its clipped value: col0 5 -> 3 (max 1), col1 0.6 -> 0.8 (min 1).
    expectTensorsClose(
      new MinMaxNorm({ minValue: 1, maxValue: 1, rate: 0.5 }).apply(w),
      [
        [(3 * 3) / 5, 0],
        [(4 * 3) / 5, -0.8],
      ],
      { atol: 1e-6 },
    );
    expectTensorsClose(new UnitNorm({ axis: 1 }).apply(tf.tensor2d([[3, 4]])), [[0.6, 0.8]], { atol: 1e-6 });
  });
  it('resolves ids and round-trips configs', () => {
    expect(getConstraint('max_norm')).toBeInstanceOf(MaxNorm);
    expect(getConstraint('non_neg')).toBeInstanceOf(NonNeg);
    expect(getConstraint('unitNorm')).toBeInstanceOf(UnitNorm);
    expect(getConstraint('min_max_norm')).toBeInstanceOf(MinMaxNorm);
    const json = serializeConstraint(new MaxNorm({ maxValue: 3, axis: [0, 1] }))!;
    expect(json.config).toEqual({ max_value: 3, axis: [0, 1] });
    expect(getConstraint(json)!.getConfig()).toEqual({ maxValue: 3, axis: [0, 1] });
  });
});
