/**
 * Every kernel the forward and backward passes of our layers and losses run exists on cpu and on wasm
 * (with @strata/backends/wasm imported), and the gradients agree. webgl: test/webgl-browser.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../src/cpu.js';
import '../src/wasm.js';
import { layerCases, recordKernels } from './layer-cases.js';

describe('kernel coverage on cpu and wasm', () => {
  const used = new Map<string, string[]>();

  for (const c of layerCases) {
    it(`${c.name}: every kernel it runs is registered, and wasm's gradients match cpu's`, async () => {
      await tf.setBackend('cpu');
      const cpu = await recordKernels(c);
      used.set(c.name, cpu.kernels);
      const missing = ['cpu', 'wasm'].flatMap((b) =>
        cpu.kernels.filter((k) => tf.getKernel(k, b) == null).map((k) => `${k} on ${b}`),
      );
      expect(missing).toEqual([]);
      await tf.setBackend('wasm');
      const wasm = await recordKernels(c);
      expect(wasm.kernels).toEqual(cpu.kernels);
      for (const [i, g] of cpu.grads.entries()) {
        const worst = g.reduce((m, v, j) => Math.max(m, Math.abs(v - wasm.grads[i][j])), 0);
        expect(worst).toBeLessThan(1e-4);
      }
    });
  }

  it('records the gradient kernels (so an empty recording cannot pass)', () => {
    // Under a gradient tape tfjs runs fused ops with a non-linear activation unfused.
    expect(used.get('Conv2D (fused bias + relu)')).toEqual(
      expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']),
    );
    expect(used.get('DepthwiseConv2D (fused)')).toEqual(
      expect.arrayContaining(['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']),
    );
    expect(used.get('MaxPooling2D')).toContain('MaxPoolGrad');
    expect(used.get('AveragePooling2D')).toContain('AvgPoolGrad');
    expect(used.get('Dense (fused bias + relu)')).toContain('BatchMatMul');
    const all = [...new Set([...used.values()].flat())].sort();
    for (const [name, kernels] of used) console.info(`${name}: ${kernels.join(', ')}`);
    console.info(
      `kernels used by the layers' forward and backward passes (${all.length}): ${all.join(', ')}`,
    );
  });
});
