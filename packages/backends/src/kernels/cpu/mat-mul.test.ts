import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '../../cpu.js';
import { installedKernelFixes } from '../../kernel-fixes.js';
import { type KernelInput, randomInput } from '../wasm/test-parity.js';
import { expectMatchesTfjsCpu as expectMatchesCpuReference, onTfjsCpuKernels } from './test-parity.js';

/** tfjs-backend-cpu's own kernel as the reference, to an absolute 1e-4 (see test-parity.ts). */
function expectMatchesTfjsCpu(
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
  atol = 1e-4,
): Promise<void> {
  return expectMatchesCpuReference(kernelName, inputs, attrs, { atol });
}

function operands(
  m: number,
  k: number,
  n: number,
  tA: boolean,
  tB: boolean,
  batchA: number[] = [],
  batchB: number[] = [],
) {
  return {
    a: randomInput([...batchA, ...(tA ? [k, m] : [m, k])], m * 7 + k),
    b: randomInput([...batchB, ...(tB ? [n, k] : [k, n])], n * 13 + k),
  };
}

// Rows below and above the streamed-row threshold (8), sizes that are not multiples of the 4x4 block,
// depths past one k-block (256) and widths past one group of packed panels (64 columns).
const sizes: Array<[number, number, number]> = [
  [1, 784, 512],
  [3, 5, 7],
  [8, 4, 4],
  [13, 300, 70],
  [128, 37, 10],
  [33, 600, 129],
];

describe('cpu BatchMatMul (packed 4x4 GEMM)', () => {
  it('is installed by @strata/backends/cpu, with _FusedMatMul', () => {
    expect(installedKernelFixes('cpu')).toEqual(expect.arrayContaining(['BatchMatMul', '_FusedMatMul']));
  });

  for (const [m, k, n] of sizes) {
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`matches tfjs's cpu kernel: ${m}x${k} · ${k}x${n}, transposeA ${tA}, transposeB ${tB}`, async () => {
        await expectMatchesTfjsCpu('BatchMatMul', operands(m, k, n, tA, tB), {
          transposeA: tA,
          transposeB: tB,
        });
      });
    }
  }

  it('broadcasts batch axes as tfjs does (batched a, shared b; shared a, batched b; rank 4)', async () => {
    await expectMatchesTfjsCpu('BatchMatMul', operands(9, 20, 11, false, false, [3], [1]), {
      transposeA: false,
      transposeB: false,
    });
    await expectMatchesTfjsCpu('BatchMatMul', operands(10, 6, 5, false, true, [1], [4]), {
      transposeA: false,
      transposeB: true,
    });
    await expectMatchesTfjsCpu('BatchMatMul', operands(12, 8, 9, true, false, [2, 3], [2, 3]), {
      transposeA: true,
      transposeB: false,
    });
  });

  it('computes a small product exactly as written by hand', async () => {
    // [[1, 2, 3], [4, 5, 6]] · [[1, 0], [0, 1], [2, -1]] = [[7, -1], [16, -1]]
    await tf.setBackend('cpu');
    const out = tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([1, 0, 0, 1, 2, -1], [3, 2]));
    expect(Array.from(out.dataSync())).toEqual([7, -1, 16, -1]);
    // 9 rows take the packed path: row i of eye(9)·B is row i of B.
    const b = tf.tensor2d(
      Array.from({ length: 27 }, (_, i) => i - 13),
      [9, 3],
    );
    expect(Array.from(tf.matMul(tf.eye(9), b).dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([out, b]);
  });

  it('leaves integer products to tfjs (int32 in, int32 out)', async () => {
    await tf.setBackend('cpu');
    const out = tf.matMul(
      tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'),
      tf.tensor2d([5, 6, 7, 8], [2, 2], 'int32'),
    );
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.dataSync())).toEqual([19, 22, 43, 50]);
    out.dispose();
  });

  it("gives the same gradients as tfjs's kernel, without leaking tensors", async () => {
    await tf.setBackend('cpu');
    const a = tf.tensor(randomInput([17, 30], 3).values, [17, 30]);
    const b = tf.tensor(randomInput([30, 9], 4).values, [30, 9]);
    const grads = () => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum())([a, b]);
    const before = tf.memory().numTensors;
    const ours = grads();
    expect(tf.memory().numTensors - before).toBe(2);
    const theirs = await onTfjsCpuKernels(grads);
    for (let i = 0; i < 2; i++) {
      const diff = tf.max(tf.abs(tf.sub(ours[i], theirs[i]))).dataSync()[0];
      expect(diff).toBeLessThan(1e-3);
    }
    tf.dispose([a, b, ...ours, ...theirs]);
  });
});

describe('cpu _FusedMatMul', () => {
  const bias = (shape: number[]) => randomInput(shape, 99);
  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu']) {
    it(`matches tfjs's cpu kernel with a per-column bias and ${activation}`, async () => {
      await expectMatchesTfjsCpu(
        '_FusedMatMul',
        { ...operands(20, 30, 17, false, false), bias: bias([17]) },
        { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.3 },
      );
    });
  }

  it('matches with prelu weights, a full-shape bias, a scalar bias and no bias', async () => {
    await expectMatchesTfjsCpu(
      '_FusedMatMul',
      { ...operands(5, 12, 6, true, false), bias: bias([6]), preluActivationWeights: randomInput([6], 5) },
      { transposeA: true, transposeB: false, activation: 'prelu' },
    );
    await expectMatchesTfjsCpu(
      '_FusedMatMul',
      { ...operands(9, 12, 6, false, true), bias: bias([9, 6]) },
      { transposeA: false, transposeB: true, activation: 'relu' },
    );
    await expectMatchesTfjsCpu(
      '_FusedMatMul',
      { ...operands(9, 12, 6, false, false), bias: bias([1]) },
      { transposeA: false, transposeB: false, activation: 'linear' },
    );
    await expectMatchesTfjsCpu('_FusedMatMul', operands(9, 12, 6, false, false), {
      transposeA: false,
      transposeB: false,
      activation: 'relu',
    });
  });
});
