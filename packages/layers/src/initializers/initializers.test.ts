import { serializeKerasObject } from '@strata/core';
import { expectNoLeakedTensors, expectTensorsClose } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  Constant,
  computeFans,
  GlorotNormal,
  GlorotUniform,
  getInitializer,
  HeNormal,
  HeUniform,
  Identity,
  LecunNormal,
  LecunUniform,
  Ones,
  OrthogonalInitializer,
  RandomNormal,
  RandomUniform,
  serializeInitializer,
  TruncatedNormal,
  VarianceScaling,
  Zeros,
} from './index.js';

function stats(t: tf.Tensor): { min: number; max: number; mean: number; std: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { min: Math.min(...v), max: Math.max(...v), mean, std };
}

describe('initializers', () => {
  it('computes fans as Keras does, with the receptive field for conv kernels', () => {
    expect(computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
    expect(computeFans([5])).toEqual({ fanIn: 5, fanOut: 5 });
    expect(computeFans([4, 6])).toEqual({ fanIn: 4, fanOut: 6 });
    expect(computeFans([3, 3, 4, 8])).toEqual({ fanIn: 36, fanOut: 72 });
  });

  it('draws uniform families within their limits and normal families with their stddev', async () => {
    const shape = [3, 3, 16, 32]; // fanIn 144, fanOut 288
    const cases: [unknown, 'uniform' | 'normal', number][] = [
      [new GlorotUniform({ seed: 1 }), 'uniform', Math.sqrt(6 / (144 + 288))],
      [new HeUniform({ seed: 2 }), 'uniform', Math.sqrt(6 / 144)],
      [new LecunUniform({ seed: 3 }), 'uniform', Math.sqrt(3 / 144)],
      [new GlorotNormal({ seed: 4 }), 'normal', Math.sqrt(2 / (144 + 288))],
      [new HeNormal({ seed: 5 }), 'normal', Math.sqrt(2 / 144)],
      [new LecunNormal({ seed: 6 }), 'normal', Math.sqrt(1 / 144)],
      [
        new VarianceScaling({ scale: 2, mode: 'fan_out', distribution: 'untruncated_normal', seed: 7 }),
        'normal',
        Math.sqrt(2 / 288),
      ],
    ];
    for (const [init, kind, value] of cases) {
      const t = await expectNoLeakedTensors(() => (init as GlorotUniform).apply(shape));
      const s = stats(t);
      if (kind === 'uniform') {
        expect(s.min).toBeGreaterThanOrEqual(-value);
        expect(s.max).toBeLessThanOrEqual(value);
        expect(s.max).toBeGreaterThan(0.95 * value);
        expect(s.std).toBeCloseTo(value / Math.sqrt(3), 2);
      } else {
        expect(Math.abs(s.std - value) / value).toBeLessThan(0.05);
      }
      expect(Math.abs(s.mean)).toBeLessThan(0.1 * value);
      t.dispose();
    }
  });

  it('repeats its values for a given seed, as Keras 3 does', () => {
    for (const make of [
      () => new RandomNormal({ seed: 3 }),
      () => new TruncatedNormal({ seed: 3 }),
      () => new RandomUniform({ seed: 3 }),
    ]) {
      const a = make().apply([20]);
      const b = make().apply([20]);
      expectTensorsClose(a, b, { atol: 0 });
      tf.dispose([a, b]);
    }
    const t = new TruncatedNormal({ mean: 1, stddev: 0.5, seed: 9 }).apply([2000]);
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThanOrEqual(2);
    t.dispose();
  });

  it('fills constants and the identity', () => {
    expectTensorsClose(new Zeros().apply([2, 2]), [
      [0, 0],
      [0, 0],
    ]);
    expectTensorsClose(new Ones().apply([3]), [1, 1, 1]);
    expectTensorsClose(new Constant({ value: 2.5 }).apply([2]), [2.5, 2.5]);
    expectTensorsClose(new Identity({ gain: 2 }).apply([2, 3]), [
      [2, 0, 0],
      [0, 2, 0],
    ]);
    expect(() => new Identity().apply([2, 2, 2])).toThrow('Received: shape=(2, 2, 2) of rank 3');
  });

  it('makes orthogonal matrices', () => {
    for (const shape of [
      [4, 6],
      [6, 4],
      [2, 2, 3],
    ]) {
      const w = new OrthogonalInitializer({ gain: 1, seed: 11 }).apply(shape);
      const m = tf.reshape(w, [-1, shape[shape.length - 1]]);
      const [r, c] = m.shape;
      const gram = r >= c ? tf.matMul(m, m, true, false) : tf.matMul(m, m, false, true);
      expectTensorsClose(gram, tf.eye(Math.min(r, c)), { atol: 1e-5 });
      tf.dispose([w, m, gram]);
    }
  });

  it('orthogonal matches the sign-corrected QR of its normal sample (tf.linalg.qr as the reference)', () => {
    for (const shape of [
      [5, 3],
      [3, 5],
      [2, 3, 4],
    ]) {
      const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const cols = shape[shape.length - 1];
      const got = new OrthogonalInitializer({ gain: 1.5, seed: 7 }).apply(shape);
      const expected = tf.tidy(() => {
        const a = tf.randomNormal([Math.max(rows, cols), Math.min(rows, cols)], 0, 1, 'float32', 7);
        const [q, r] = tf.linalg.qr(a);
        const n = Math.min(rows, cols);
        const d = tf.sign(tf.sum(tf.mul(tf.slice(r, [0, 0], [n, n]), tf.eye(n)), 0));
        const m = tf.mul(q, d);
        return tf.mul(tf.reshape(rows < cols ? tf.transpose(m) : m, shape), 1.5);
      });
      expect(got.shape).toEqual(shape);
      expectTensorsClose(got, expected, { atol: 1e-5 });
      tf.dispose([got, expected]);
    }
  });

  it('orthogonal is orthonormal at LSTM and MNIST sizes, with the moments of a uniform orthogonal matrix', () => {
    for (const [shape, gain] of [
      [[784, 128], 1],
      [[128, 512], 2],
    ] as [number[], number][]) {
      const before = tf.memory().numTensors;
      const w = new OrthogonalInitializer({ gain, seed: 3 }).apply(shape);
      expect(tf.memory().numTensors).toBe(before + 1);
      const [r, c] = shape;
      const m = Math.max(r, c);
      const n = Math.min(r, c);
      const gram = tf.tidy(() => {
        const g = r >= c ? tf.matMul(w, w, true, false) : tf.matMul(w, w, false, true);
        return tf.div(g, gain * gain);
      });
      expectTensorsClose(gram, tf.eye(n), { atol: 2e-5 });
      // Each of the n unit vectors of length m has entries of mean 0 and variance 1/m (times gain^2).
      const s = stats(w);
      const count = m * n;
      expect(Math.abs(s.mean)).toBeLessThan((5 * gain) / Math.sqrt(m * count));
      expect(s.std ** 2).toBeCloseTo((gain * gain) / m, 6);
      tf.dispose([w, gram]);
    }
  });

  it('orthogonal keeps the sign-corrected factor: a fixed seed gives the same matrix, another seed another', () => {
    const a = new OrthogonalInitializer({ seed: 5 }).apply([6, 4]);
    const b = new OrthogonalInitializer({ seed: 5 }).apply([6, 4]);
    const c = new OrthogonalInitializer({ seed: 6 }).apply([6, 4]);
    expectTensorsClose(a, b, { atol: 0 });
    expect(tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([a, b, c]);
  });

  it('validates arguments in Keras words', () => {
    expect(() => new VarianceScaling({ scale: 0 })).toThrow('Received: scale=0');
    expect(() => new VarianceScaling({ mode: 'fan_x' as 'fan_in' })).toThrow('Received: mode=fan_x');
    expect(() => new VarianceScaling({ distribution: 'cauchy' as 'uniform' })).toThrow(
      'Received: distribution=cauchy',
    );
    expect(() => new GlorotUniform({ seed: 1.5 })).toThrow('Received: seed=1.5');
    expect(new VarianceScaling({ distribution: 'normal' }).distribution).toBe('truncated_normal');
  });

  it('resolves Keras ids and serializes as Keras 3 writes them', () => {
    expect(getInitializer('glorot_uniform')).toBeInstanceOf(GlorotUniform);
    expect(getInitializer('heNormal')).toBeInstanceOf(HeNormal);
    expect(getInitializer('uniform')).toBeInstanceOf(RandomUniform);
    expect(getInitializer('normal')).toBeInstanceOf(RandomNormal);
    expect(getInitializer('orthogonal')).toBeInstanceOf(OrthogonalInitializer);
    expect(getInitializer('zero')).toBeInstanceOf(Zeros);
    expect(serializeInitializer(new GlorotUniform())).toEqual({
      module: 'keras.initializers',
      class_name: 'GlorotUniform',
      config: { seed: null, input_axes: null, output_axes: null },
      registered_name: null,
    });
    expect(serializeKerasObject('initializer', new VarianceScaling({ seed: 2 })).config).toEqual({
      seed: 2,
      scale: 1,
      mode: 'fan_in',
      distribution: 'truncated_normal',
      input_axes: null,
      output_axes: null,
    });
    expect(serializeInitializer(new RandomUniform())?.config).toEqual({
      seed: null,
      minval: -0.05,
      maxval: 0.05,
    });
    // Keras 3 writes 'Orthogonal' and reads both names; files Strata wrote before say 'OrthogonalInitializer'.
    expect(serializeInitializer(new OrthogonalInitializer())?.class_name).toBe('Orthogonal');
    for (const className of ['Orthogonal', 'OrthogonalInitializer']) {
      const o = getInitializer({
        module: 'keras.initializers',
        class_name: className,
        config: { seed: 3, gain: 2 },
        registered_name: null,
      });
      expect(o).toBeInstanceOf(OrthogonalInitializer);
      expect(o.getConfig()).toEqual({ seed: 3, gain: 2 });
    }
    const back = getInitializer({
      module: 'keras.initializers',
      class_name: 'RandomNormal',
      config: { mean: 1, stddev: 2, seed: 5 },
      registered_name: null,
    });
    expect(back.getConfig()).toEqual({ seed: 5, mean: 1, stddev: 2 });
  });

  it('computes the fans from inputAxes/outputAxes as Keras 3.15 does, and writes them', () => {
    // Shape [3, 4, 50], inputAxes [0, 1], outputAxes [-1]: a uniform fan_out VarianceScaling has limit
    // sqrt(3 / fanOut).
    const byAxes = new VarianceScaling({
      distribution: 'uniform',
      mode: 'fan_out',
      inputAxes: [0, 1],
      outputAxes: [-1],
      seed: 4,
    });
    const w = byAxes.apply([3, 4, 50]);
    const v = w.dataSync();
    w.dispose();
    // fanOut = 50: limit sqrt(3 / 50) ≈ 0.245; from the shape (fanOut 50 * 3 = 150) it would be ≈ 0.141.
    const limit = Math.sqrt(3 / 50);
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.95 * limit);
    expect(byAxes.getConfig()).toMatchObject({ inputAxes: [0, 1], outputAxes: [-1] });
    // Keras's file form is snake_case, as Keras 3.15 writes `get_config()`.
    expect(serializeInitializer(byAxes)?.config).toMatchObject({ input_axes: [0, 1], output_axes: [-1] });
    // Only one of the two given: Keras ignores it and uses the shape's fans.
    const one = new GlorotUniform({ inputAxes: [0], seed: 4 }).apply([3, 4, 50]);
    const u = one.dataSync();
    one.dispose();
    // Glorot from the shape: fanIn 4 * 3 = 12, fanOut 50 * 3 = 150, limit sqrt(6 / 162) ≈ 0.192.
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 162));
    expect(Math.max(...u.map(Math.abs))).toBeGreaterThan(0.95 * Math.sqrt(6 / 162));
    expect(new GlorotUniform({ inputAxes: [0], outputAxes: [1] }).getConfig()).toEqual({
      seed: null,
      inputAxes: [0],
      outputAxes: [1],
    });
    const bad = new HeNormal({ inputAxes: [0], outputAxes: [3] });
    const before = tf.memory().numTensors;
    expect(() => bad.apply([2, 3])).toThrow('Received: outputAxes=[3]');
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new LecunNormal({ inputAxes: [0.5] as number[], outputAxes: [1] })).toThrow(
      'Received: inputAxes=[0.5]',
    );
  });
});
