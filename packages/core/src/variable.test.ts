import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { ValueError } from './errors.js';
import { Layer } from './layer.js';
import { activeWeightsFromFile, buildingFromFile, type PlannedWeight, type Variable } from './variable.js';

/** A layer whose weight's initializer counts its calls and fills with 7. */
class Filled extends Layer {
  static calls = 0;
  constructor(private readonly shape: number[]) {
    super({ name: 'filled' });
  }
  call(x: tf.Tensor): tf.Tensor {
    return x;
  }
  make(): Variable {
    return this.addWeight('w', {
      shape: this.shape,
      initializer: {
        apply: (s) => {
          Filled.calls++;
          return tf.fill(s, 7);
        },
        getConfig: () => ({}),
      },
    });
  }
}

describe('buildingFromFile', () => {
  it('shows each weight to the scope before allocating it, fills zeros, and skips the initializer', () => {
    const planned: PlannedWeight[] = [];
    const created: Variable[] = [];
    Filled.calls = 0;
    const layer = new Filled([2, 3]);
    const v = buildingFromFile({ check: (w) => planned.push(w), created: (x) => created.push(x) }, () =>
      layer.make(),
    );
    expect(planned).toEqual([{ path: 'filled/w', shape: [2, 3], dtype: 'float32' }]);
    expect(created).toEqual([v]);
    expect(Filled.calls).toBe(0);
    expect(Array.from(v.value.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    // Outside the scope the initializer runs again.
    const w = layer.make();
    expect(Filled.calls).toBe(1);
    expect(Array.from(w.value.dataSync())).toEqual([7, 7, 7, 7, 7, 7]);
    layer.dispose();
  });

  it('a check that throws stops addWeight before anything is allocated, and the scope is restored', () => {
    const before = tf.memory().numTensors;
    const layer = new Filled([1e6, 1e6]);
    const refuse = () => {
      throw new ValueError('too big');
    };
    expect(() => buildingFromFile({ check: refuse, created: () => {} }, () => layer.make())).toThrow(
      'too big',
    );
    expect(activeWeightsFromFile()).toBeNull();
    expect(layer.ownVariables).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('nests: the inner scope applies inside, the outer one again after', () => {
    const outer = { check: () => {}, created: () => {} };
    const inner = { check: () => {}, created: () => {} };
    buildingFromFile(outer, () => {
      buildingFromFile(inner, () => expect(activeWeightsFromFile()).toBe(inner));
      expect(activeWeightsFromFile()).toBe(outer);
    });
    expect(activeWeightsFromFile()).toBeNull();
  });
});
