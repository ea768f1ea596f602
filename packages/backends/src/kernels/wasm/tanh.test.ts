import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { installedKernelFixes } from '../../kernel-fixes.js';
import './test-parity.js';

async function tanhOn(values: Float32Array): Promise<{ out: Float32Array; added: number }> {
  await tf.setBackend('wasm');
  const x = tf.tensor1d(values);
  const before = tf.backend().numDataIds();
  const y = tf.tanh(x);
  const added = tf.backend().numDataIds() - before;
  const out = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  return { out, added };
}

describe('wasm Tanh (2·sigmoid(2x) − 1, series near 0)', () => {
  it('is installed by @strata/backends/wasm', () => {
    expect(installedKernelFixes('wasm')).toContain('Tanh');
  });

  it('agrees with Math.tanh to float32 precision from -20 to 20, near 0 and at the edges', async () => {
    const grid = Array.from({ length: 40001 }, (_, i) => -20 + i / 1000);
    const tiny = Array.from({ length: 200 }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (-10 + i / 25));
    const values = Float32Array.from([...grid, ...tiny, 0, -0, 0.25, -0.25, 0.24999999]);
    const { out, added } = await tanhOn(values);
    expect(added).toBe(1);
    let worstRelative = 0;
    for (let i = 0; i < values.length; i++) {
      const want = Math.fround(Math.tanh(values[i]));
      const err = Math.abs(out[i] - want);
      // Relative error, with float32's spacing near 1 as the floor for the saturated part.
      worstRelative = Math.max(worstRelative, err / Math.max(Math.abs(want), 2 ** -23));
    }
    expect(worstRelative).toBeLessThan(2e-6);
  });

  it('keeps NaN and the limits at ±Infinity', async () => {
    const { out } = await tanhOn(
      Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
    );
    expect(Number.isNaN(out[0])).toBe(true);
    expect([out[1], out[2]]).toEqual([1, -1]);
  });

  it("gives tanh's gradient, 1 − tanh²", async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([-2, -0.5, 0, 0.01, 1.5]);
    const g = tf.grad((t: tf.Tensor) => tf.tanh(t).sum())(x);
    const want = [-2, -0.5, 0, 0.01, 1.5].map((v) => 1 - Math.tanh(v) ** 2);
    const got = Array.from(g.dataSync());
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    tf.dispose([x, g]);
  });
});
