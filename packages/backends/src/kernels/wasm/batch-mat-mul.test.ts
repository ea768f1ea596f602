import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { installedKernelFixes } from '../../kernel-fixes.js';
import { swapLastTwo } from './batch-mat-mul.js';
import { expectWasmMatchesCpu, randomInput } from './test-parity.js';

const flags = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

function operandShapes(batch: number[], m: number, k: number, n: number, ta: boolean, tb: boolean) {
  return { a: [...batch, ...(ta ? [k, m] : [m, k])], b: [...batch, ...(tb ? [n, k] : [k, n])] };
}

describe('wasm BatchMatMul / _FusedMatMul without transposed operands', () => {
  it('replaces both wasm kernels', () => {
    expect(installedKernelFixes('wasm')).toEqual(expect.arrayContaining(['BatchMatMul', '_FusedMatMul']));
  });

  it('swaps the last two axes', () => {
    expect(swapLastTwo(2)).toEqual([1, 0]);
    expect(swapLastTwo(4)).toEqual([0, 1, 3, 2]);
  });

  for (const [ta, tb] of flags) {
    it(`BatchMatMul matches cpu, transposeA=${ta} transposeB=${tb}, rank 2 and batched`, async () => {
      const flat = operandShapes([], 5, 7, 3, ta, tb);
      await expectWasmMatchesCpu(
        'BatchMatMul',
        { a: randomInput(flat.a, 1), b: randomInput(flat.b, 2) },
        { transposeA: ta, transposeB: tb },
      );
      const batched = operandShapes([3], 4, 6, 5, ta, tb);
      await expectWasmMatchesCpu(
        'BatchMatMul',
        { a: randomInput(batched.a, 3), b: randomInput(batched.b, 4) },
        { transposeA: ta, transposeB: tb },
      );
    });

    it(`_FusedMatMul matches cpu with bias and relu, transposeA=${ta} transposeB=${tb}`, async () => {
      const s = operandShapes([1], 6, 9, 4, ta, tb);
      await expectWasmMatchesCpu(
        '_FusedMatMul',
        { a: randomInput(s.a, 5), b: randomInput(s.b, 6), bias: randomInput([4], 7) },
        { transposeA: ta, transposeB: tb, activation: 'relu', leakyreluAlpha: 0 },
      );
    });
  }

  it('Dense-sized gradients (128x784 · 784x512) agree with cpu through tf.grads', async () => {
    const x = randomInput([32, 64], 8);
    const w = randomInput([64, 16], 9);
    const grads: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b))))([
        tf.tensor(x.values, x.shape),
        tf.tensor(w.values, w.shape),
      ]);
      grads[backend] = [gx.dataSync() as Float32Array, gw.dataSync() as Float32Array];
      tf.dispose([gx, gw]);
      // The two inputs stay alive (created inline); everything else must be freed.
      expect(tf.memory().numTensors - before).toBeLessThanOrEqual(2);
      tf.disposeVariables();
    }
    for (const i of [0, 1]) {
      const diff = grads.cpu[i].reduce(
        (m, v, j) => Math.max(m, Math.abs(v - grads.wasm[i][j]) / (1 + Math.abs(v))),
        0,
      );
      expect(diff).toBeLessThan(1e-4);
    }
  });
});
