import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../cpu.js';
import { installedKernelFixes } from '../../kernel-fixes.js';
import { randomInput } from '../wasm/test-parity.js';
import { expectMatchesTfjsCpu } from './test-parity.js';

// The same float32 operations as tfjs's, so the results must be identical.
const exact = { atol: 0 };

// Same shapes, a bias over channels, a scalar either side, a repeated block with leading 1s, and
// broadcasts these kernels leave to tfjs (both operands repeated; a middle axis).
const binaryCases: { name: string; a: number[]; b: number[] }[] = [
  { name: 'same shape', a: [2, 5, 7, 3], b: [2, 5, 7, 3] },
  { name: 'a bias over channels', a: [3, 4, 5, 6], b: [6] },
  { name: 'the bias first', a: [6], b: [3, 4, 5, 6] },
  { name: 'a scalar', a: [7, 9], b: [] },
  { name: 'a scalar first', a: [], b: [7, 9] },
  { name: 'trailing block with leading 1s', a: [4, 3, 5], b: [1, 3, 5] },
  { name: 'both broadcast (tfjs)', a: [2, 1, 3], b: [1, 4, 3] },
  { name: 'middle axis (tfjs)', a: [2, 4, 3], b: [4, 1] },
];

describe('cpu Add and Multiply (one loop)', () => {
  it('are installed by @strata/backends/cpu', () => {
    expect(installedKernelFixes('cpu')).toEqual(expect.arrayContaining(['Add', 'Multiply']));
  });

  for (const kernel of ['Add', 'Multiply']) {
    for (const [i, c] of binaryCases.entries()) {
      it(`${kernel} matches tfjs's cpu kernel: ${c.name}`, async () => {
        const inputs = { a: randomInput(c.a, 40 + i), b: randomInput(c.b, 60 + i) };
        await expectMatchesTfjsCpu(kernel, inputs, {}, exact);
      });
    }
  }

  it('computes a bias over channels by the formula, and NaN propagates', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const [sum, product] = tf.tidy(() => {
      const x = tf.tensor2d([1, 2, Number.NaN, -4, 0.5, 6], [2, 3]);
      const bias = tf.tensor1d([10, 20, 30]);
      return [Array.from(tf.add(x, bias).dataSync()), Array.from(tf.mul(bias, x).dataSync())];
    });
    expect(sum).toEqual([11, 22, Number.NaN, 6, 20.5, 36]);
    expect(product).toEqual([10, 40, Number.NaN, -40, 10, 180]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves shapes that do not broadcast to tfjs, which rejects them', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const a = tf.zeros([6]);
    const b = tf.zeros([2, 3]);
    expect(() => tf.add(a, b)).toThrow(/broadcast/);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('cpu Relu and Step (one loop)', () => {
  it('are installed by @strata/backends/cpu', () => {
    expect(installedKernelFixes('cpu')).toEqual(expect.arrayContaining(['Relu', 'Step']));
  });

  it("Relu matches tfjs's cpu kernel", async () => {
    await expectMatchesTfjsCpu('Relu', { x: randomInput([3, 7, 5, 4], 81) }, {}, exact);
  });

  for (const alpha of [0, 0.25]) {
    it(`Step matches tfjs's cpu kernel, alpha ${alpha}`, async () => {
      await expectMatchesTfjsCpu('Step', { x: randomInput([3, 7, 5, 4], 82) }, { alpha }, exact);
    });
  }

  it('keep NaN, take ±Infinity, and give relu(-0) = +0 as Math.max(0, x) does', async () => {
    await tf.setBackend('cpu');
    const [relu, step] = tf.tidy(() => {
      const x = tf.tensor1d([-2, -0, 0, 3, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
      return [tf.relu(x).dataSync().slice(), tf.step(x, 0.5).dataSync().slice()];
    });
    expect(Array.from(relu)).toEqual([0, 0, 0, 3, Number.NaN, 0, Number.POSITIVE_INFINITY]);
    expect(Object.is(relu[1], 0)).toBe(true);
    expect(Array.from(step)).toEqual([0.5, 0.5, 0.5, 1, Number.NaN, 0.5, 1]);
  });
});
