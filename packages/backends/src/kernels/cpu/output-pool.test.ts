import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import '../../cpu.js';
import { type Backend, callKernel, release } from '../wasm/call-kernel.js';
import { randomInput } from '../wasm/test-parity.js';
import { valuesOf } from './mat-mul.js';
import { withOutputPool } from './output-pool.js';
import { expectMatchesTfjsCpu } from './test-parity.js';

/** The array the cpu backend stores for `t` (what a kernel reads and writes), without a read pinning it. */
const stored = (t: tf.Tensor) => valuesOf(tf.backend(), t);

/** A Strata kernel's output (`Relu`) of `n` positive values, `seed` apart from another call's. */
const reluOf = (n: number, seed: number) =>
  tf.tidy(() => tf.relu(tf.tensor1d(randomInput([n], seed).values.map(Math.abs))));

describe('cpu output pool', () => {
  let tensorsBefore = 0;
  beforeEach(async () => {
    await tf.setBackend('cpu');
    tensorsBefore = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('gives a freed output array to the next output of its length', () => {
    const a = reluOf(1000, 1);
    const array = stored(a);
    a.dispose();
    const b = reluOf(1000, 2);
    // Reused, and holding b's own values (the tensor a relu read them from is gone too).
    expect(stored(b)).toBe(array);
    expect(Array.from(b.dataSync())).toEqual(Array.from(randomInput([1000], 2).values.map(Math.abs)));
    b.dispose();
  });

  it('never reuses an array a read handed out (dataSync, data)', async () => {
    const a = reluOf(1000, 3);
    const synced = a.dataSync() as Float32Array;
    const expected = Array.from(synced);
    a.dispose();
    const b = reluOf(1000, 4);
    expect(stored(b)).not.toBe(synced);
    expect(Array.from(synced)).toEqual(expected);

    const c = reluOf(1000, 5);
    const read = (await c.data()) as Float32Array;
    const expectedRead = Array.from(read);
    c.dispose();
    const d = reluOf(1000, 6);
    expect(Array.from(read)).toEqual(expectedRead);
    tf.dispose([b, d]);
  });

  it('never reuses an array a slice views (tfjs-cpu slices contiguous rows as a subarray)', () => {
    const a = tf.tidy(() => tf.reshape(reluOf(1000, 7), [10, 100]));
    const rows = tf.slice(a, [2, 0], [3, 100]);
    const expected = Array.from(stored(a).subarray(200, 500));
    a.dispose();
    const b = reluOf(1000, 8);
    expect(Array.from(rows.dataSync())).toEqual(expected);
    tf.dispose([b, rows]);
  });

  it('keeps an array while another tensor shares its data (reshape, clone)', () => {
    const a = reluOf(1000, 9);
    const expected = Array.from(stored(a));
    const shaped = tf.reshape(a, [10, 100]);
    const cloned = tf.clone(a);
    a.dispose();
    const b = reluOf(1000, 10);
    shaped.dispose();
    const c = reluOf(1000, 11);
    expect(Array.from(cloned.dataSync())).toEqual(expected);
    tf.dispose([b, c, cloned]);
  });

  it('disposes a data id the backend does not hold as tfjs-cpu does (no move from another backend)', () => {
    // tfjs's DataStorage.get would try to move an unknown data id over from its backend first.
    expect(tf.backend().disposeData({})).toBe(true);
  });

  it('never takes the array of a tensor made from user values', () => {
    const user = Float32Array.from({ length: 1000 }, (_, i) => i - 500);
    const t = tf.tensor1d(user);
    // tfjs-cpu stores the user's array itself.
    expect(stored(t)).toBe(user);
    t.dispose();
    const b = reluOf(1000, 12);
    expect(user[0]).toBe(-500);
    expect(user[999]).toBe(499);
    b.dispose();
  });

  it('zero-fills a reused array for outputs that accumulate (MaxPoolGrad, Conv2DBackpropInput)', async () => {
    // x [2, 6, 7, 3] has 252 values: a freed 252-value output of garbage is waiting for each gradient.
    const seed = () => tf.tidy(() => void tf.relu(tf.fill([252], 7)));
    const x = randomInput([2, 6, 7, 3], 13);
    seed();
    await expectMatchesTfjsCpu(
      'MaxPoolGrad',
      { dy: randomInput([2, 3, 3, 3], 14), input: x, output: randomInput([2, 3, 3, 3], 15) },
      { filterSize: 2, strides: 2, pad: 'valid' },
    );
    seed();
    await expectMatchesTfjsCpu(
      'Conv2DBackpropInput',
      { dy: randomInput([2, 3, 4, 4], 16), filter: randomInput([3, 3, 3, 4], 17) },
      { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 6, 7, 3] },
    );
  });

  it('reuses an array freed inside a Strata kernel only after the kernel returns', () => {
    // A composite that frees an intermediate and reads it afterwards, as `nhwcValues` does with a
    // transpose: its next output must not be that array.
    const name = 'StrataOutputPoolTestComposite';
    const config = withOutputPool({
      kernelName: name,
      backendName: 'cpu',
      mode: 'fill',
      create: () => ({
        kernelName: name,
        backendName: 'cpu',
        kernelFunc: ({ inputs, backend }) => {
          const b = backend as Backend;
          const { x, y } = inputs as unknown as { x: tf.TensorInfo; y: tf.TensorInfo };
          const first = callKernel(b, 'Relu', { x });
          const values = valuesOf(b, first);
          release(b, first);
          const second = callKernel(b, 'Relu', { x: y });
          const sum = valuesOf(b, second);
          for (let i = 0; i < sum.length; i++) sum[i] += values[i];
          return second;
        },
      }),
    }).create(undefined);
    tf.registerKernel(config);
    try {
      const [x, y] = [randomInput([1000], 18).values, randomInput([1000], 19).values];
      const inputs = { x: tf.tensor1d(x), y: tf.tensor1d(y) };
      const out = tf.engine().runKernel(name, inputs) as tf.Tensor;
      // Both sums are of two float32 values, rounded once: the same in float64 then float32.
      const expected = Float32Array.from(x, (v, i) => Math.max(0, v) + Math.max(0, y[i]));
      expect(Array.from(out.dataSync())).toEqual(Array.from(expected));
      tf.dispose([inputs.x, inputs.y, out]);
    } finally {
      tf.unregisterKernel(name, 'cpu');
    }
  });
});
