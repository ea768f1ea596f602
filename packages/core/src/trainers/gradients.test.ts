import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';

import { TestSGD } from '../../test/fixtures.js';
import { ValueError } from '../errors.js';
import { Variable } from '../variable.js';
import { valueAndGrads } from './gradients.js';

function variable(values: number[], name: string): Variable {
  const init = tf.tensor1d(values);
  const v = new Variable({ initialValue: init, name, path: `test/${name}` });
  init.dispose();
  return v;
}

describe('valueAndGrads and optimizer.applyGradients (a custom training loop)', () => {
  test('the loss value and its gradients, in the order of the variables', () => {
    const w = variable([1, 2], 'w');
    const b = variable([3], 'b');
    const unused = variable([5], 'unused');
    const before = tf.memory().numTensors;
    // f = sum(w^2) + 3b: df/dw = 2w = [2, 4], df/db = 3.
    const { value, grads } = valueAndGrads(
      () => tf.add(tf.sum(tf.square(w.value)), tf.mul(3, tf.sum(b.value))) as tf.Scalar,
      [w, b, unused],
    );
    expect(value.dataSync()[0]).toBeCloseTo(14);
    expect(Array.from(grads[0]!.dataSync())).toEqual([2, 4]);
    expect(Array.from(grads[1]!.dataSync())).toEqual([3]);
    expect(grads[2]).toBeNull();
    tf.dispose([value, ...grads.filter((g) => g != null)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('aux outputs outlive the forward pass and belong to the enclosing tidy', () => {
    const w = variable([2], 'w');
    const before = tf.memory().numTensors;
    const kept = tf.tidy(() => {
      const { value, grads, aux } = valueAndGrads(() => {
        const pred = tf.mul(w.value, 4);
        return [tf.sum(pred) as tf.Scalar, { pred }] as const;
      }, [w]);
      expect(Array.from(aux.pred.dataSync())).toEqual([8]);
      expect(grads[0]!.dataSync()[0]).toBe(4);
      return value;
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    kept.dispose();
  });

  test('applyGradients takes [gradient, variable] pairs, as apply takes two lists', () => {
    const a = variable([1, 1], 'a');
    const b = variable([1, 1], 'b');
    const optA = new TestSGD({ learningRate: 0.5 });
    const optB = new TestSGD({ learningRate: 0.5 });
    const g = tf.tensor1d([2, -2]);
    optA.applyGradients([[g, a]]);
    optB.apply([g], [b]);
    expect(Array.from(a.value.dataSync())).toEqual([0, 2]);
    expect(Array.from(b.value.dataSync())).toEqual([0, 2]);
    g.dispose();
  });

  test('bad input: a clear error and nothing changed', () => {
    const w = variable([1], 'w');
    const opt = new TestSGD();
    const g = tf.tensor1d([1]);
    const before = tf.memory().numTensors;
    expect(() => opt.applyGradients([[g, w], [g] as never])).toThrow(
      /applyGradients expects a list of \[gradient, variable\] pairs .*Received: grads_and_vars\[1\] is not a \[gradient, variable\] pair/,
    );
    expect(() => opt.applyGradients(g as never)).toThrow(ValueError);
    expect(Array.from(w.value.dataSync())).toEqual([1]);
    expect(() => valueAndGrads(() => tf.ones([2]) as tf.Scalar, [w])).toThrow(
      /must return a scalar loss tensor \(or \[loss, aux\]\)\. Received: a tensor of shape \[2\]/,
    );
    expect(() => valueAndGrads(() => tf.sum(w.value) as tf.Scalar, [])).toThrow(/at least one variable/);
    expect(() => valueAndGrads(() => tf.sum(w.value) as tf.Scalar, [w.value] as never)).toThrow(
      /expects a list of Variables/,
    );
    expect(tf.memory().numTensors).toBe(before);
    // The engine is usable afterwards.
    const { value, grads } = valueAndGrads(() => tf.sum(tf.mul(w.value, 2)) as tf.Scalar, [w]);
    expect(grads[0]!.dataSync()[0]).toBe(2);
    tf.dispose([value, grads[0]!, g]);
  });
});
