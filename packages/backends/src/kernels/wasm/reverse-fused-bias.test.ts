import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { installedKernelFixes } from '../../kernel-fixes.js';
import './test-parity.js';

describe('wasm Reverse on bool tensors', () => {
  it('is installed by @strata/backends/wasm', () => {
    expect(installedKernelFixes('wasm')).toContain('Reverse');
  });

  it('reverses a bool mask along time (as an RNN with goBackwards does) and leaves the heap usable', async () => {
    await tf.setBackend('wasm');
    const rows = [
      [true, true, false, false, false],
      [true, false, true, true, false],
    ];
    const before = tf.memory().numTensors;
    const mask = tf.tensor2d(rows, [2, 5], 'bool');
    const reversed = tf.reverse(mask, 1);
    expect(reversed.dtype).toBe('bool');
    expect(await reversed.array()).toEqual(rows.map((r) => r.map((v) => (v ? 1 : 0)).reverse()));
    const overTime = tf.tidy(() => tf.reverse(tf.expandDims(tf.transpose(mask), 1), 0));
    expect(overTime.shape).toEqual([5, 1, 2]);
    expect(Array.from(await overTime.data())).toEqual([0, 0, 0, 1, 0, 1, 1, 0, 1, 1]);
    // Later kernels still work (tfjs's own kernel corrupted the heap here).
    const sum = tf.tidy(() => tf.sum(tf.range(0, 100)));
    expect(await sum.data()).toEqual(new Float32Array([4950]));
    tf.dispose([mask, reversed, overTime, sum]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('still reverses float32 and int32 tensors', async () => {
    await tf.setBackend('wasm');
    const f = tf.reverse(tf.tensor1d([1.5, 2.5, 3.5]));
    const i = tf.reverse(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0);
    expect(Array.from(await f.data())).toEqual([3.5, 2.5, 1.5]);
    expect(Array.from(await i.data())).toEqual([3, 4, 1, 2]);
    tf.dispose([f, i]);
  });
});

describe('wasm fused matMul with a bias that is a view of a bigger weight', () => {
  it('accepts a rank-1 bias squeezed out of a [2, n] weight (GRU) and adds the right row', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const weight = tf.tensor2d([1, 2, 3, 10, 20, 30], [2, 3]);
    const bias = tf.tidy(() => tf.squeeze(tf.slice(weight, [0, 0], [1, -1]), [0]));
    const a = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const b = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const out = tf.fused.matMul({ a, b, bias, activation: 'relu' });
    // [[1,2,3],[4,5,6]] + [1,2,3], by hand.
    expect(Array.from(await out.data())).toEqual([2, 4, 6, 5, 7, 9]);
    const second = tf.tidy(() => tf.reshape(tf.slice(weight, [1, 0], [1, -1]), [3]));
    const out2 = tf.fused.matMul({ a, b, bias: second });
    expect(Array.from(await out2.data())).toEqual([11, 22, 33, 14, 25, 36]);
    tf.dispose([weight, bias, a, b, out, second, out2]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
