import type { Layer } from '@strata/core';
import { Dropout } from '@strata/layers';
import { describe, expect, it } from 'vitest';

import { resolvesInNode } from '../../../node-paths.js';
import { dropoutStepLayer, UniformSource } from './dropout.js';
import { runGraph } from './test-run-graph.js';
import type { StepLayer } from './types.js';

const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

describe('UniformSource', () => {
  it('gives numbers in [0, 1) with the moments of a uniform distribution, and repeats a seeded sequence', () => {
    const a = new Float32Array(100_000);
    new UniformSource(42).fill(a);
    let sum = 0;
    let sumSq = 0;
    let [min, max] = [1, 0];
    for (const u of a) {
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const n = a.length;
    // Uniform on [0, 1): mean 1/2 (standard error 0.29/sqrt(n) = 0.0009), variance 1/12.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.006);
    expect(Math.abs(sumSq / n - (sum / n) ** 2 - 1 / 12)).toBeLessThan(0.003);
    // About a fifth below 0.2: what Dropout(0.2) drops.
    expect(Math.abs(a.filter((u) => u < 0.2).length / n - 0.2)).toBeLessThan(0.006);

    const again = new Float32Array(n);
    new UniformSource(42).fill(again);
    expect(again).toEqual(a);
    // The sequence goes on from call to call; another seed gives another sequence.
    const next = new Float32Array(n);
    const source = new UniformSource(42);
    source.fill(next);
    source.fill(next);
    expect(next).not.toEqual(a);
    const other = new Float32Array(n);
    new UniformSource(43).fill(other);
    expect(other).not.toEqual(a);
    // Seed 0 is a sequence too (xorshift's all-zero state would give only zeros).
    const zero = new Float32Array(8);
    new UniformSource(0).fill(zero);
    expect(zero.some((u) => u > 0)).toBe(true);
  });
});

describe('UniformSource.fillMask', () => {
  it.each([0.2, 0.5, 0.25, 1 / 3])(
    'gives 1 / (1 - rate) where a number of the same sequence is at least the rate %s, else 0',
    (rate) => {
      const n = 50_001;
      const numbers = new Float32Array(n);
      new UniformSource(7).fill(numbers);
      const mask = new Float32Array(n);
      const source = new UniformSource(7);
      source.fillMask(mask, rate);
      const scale = Math.fround(1 / (1 - rate));
      expect(Array.from(mask)).toEqual(Array.from(numbers, (u) => (u >= rate ? scale : 0)));
      // The sequence goes on from there, as after fill.
      const after = new Float32Array(4);
      source.fill(after);
      const expected = new Float32Array(4);
      const reference = new UniformSource(7);
      reference.fill(new Float32Array(n));
      reference.fill(expected);
      expect(after).toEqual(expected);
    },
  );
});

describe.skipIf(!hasOrt)('Dropout step layer', () => {
  it('multiplies by the scaled mask it declares as a random input, and its gradient takes the same mask', async () => {
    const layer = new Dropout({ rate: 0.25, seed: 3 }) as unknown as Layer;
    const step = dropoutStepLayer(layer, [2, 4], 'keras') as StepLayer;
    const x = Float32Array.from([1, -2, 3, -4, 5, -6, 7, -8]);
    const dy = Float32Array.from([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
    // The scaled mask the compiler feeds (UniformSource.fillMask): 1 / (1 - rate) where kept, 0 where dropped.
    const scale = Math.fround(1 / 0.75);
    const kept = [false, true, true, false, true, false, true, true];
    const mask = Float32Array.from(kept, (k) => (k ? scale : 0));
    const out = await runGraph(
      { x: { values: x, shape: [2, 4] }, dy: { values: dy, shape: [2, 4] } },
      (g) => {
        const y = step.forward(g, 'x', [], true);
        // The random input the layer declared, fed here as the compiler feeds it.
        expect(step.randomInputs).toEqual([
          { name: `random/${layer.name}`, shape: [2, 4], seed: 3, rate: 0.25 },
        ]);
        const { dx } = step.backward(g, 'dy', true);
        return { y, dx: dx! };
      },
      { [`random/${layer.name}`]: { values: mask, shape: [2, 4] } },
    );
    // float32 products with the float32 scale; -0 and 0 alike.
    const expected = (a: Float32Array) => Array.from(a, (v, i) => (kept[i] ? Math.fround(v * scale) : 0));
    const plain = (a: Float32Array) => Array.from(a, (v) => v + 0);
    expect(plain(out.y)).toEqual(expected(x));
    expect(plain(out.dx)).toEqual(expected(dy));
  });
});
