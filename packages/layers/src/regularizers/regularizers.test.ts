import { expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { getRegularizer, L1, L1L2, L2, serializeRegularizer } from './index.js';

describe('regularizers', () => {
  const w = tf.tensor2d([
    [1, -2],
    [3, -4],
  ]);
  it('computes Keras 3 penalties with Keras 3 defaults', () => {
    expectTensorsClose(new L1().apply(w), 0.01 * 10);
    expectTensorsClose(new L2().apply(w), 0.01 * 30);
    expectTensorsClose(new L1L2().apply(w), 0);
    expectTensorsClose(new L1L2({ l1: 0.5, l2: 0.25 }).apply(w), 0.5 * 10 + 0.25 * 30);
  });
  it('resolves ids and round-trips configs', () => {
    expect(getRegularizer('l1')).toBeInstanceOf(L1);
    expect(getRegularizer('l1_l2')).toBeInstanceOf(L1L2);
    expect(getRegularizer(null)).toBeNull();
    const json = serializeRegularizer(new L1L2({ l1: 0.1, l2: 0.2 }))!;
    expect(json).toEqual({
      module: 'keras.regularizers',
      class_name: 'L1L2',
      config: { l1: 0.1, l2: 0.2 },
      registered_name: null,
    });
    expect(getRegularizer(json)!.getConfig()).toEqual({ l1: 0.1, l2: 0.2 });
  });
  it('rejects negative factors', () => {
    expect(() => new L2({ l2: -1 })).toThrow('Received: l2=-1');
  });
});
