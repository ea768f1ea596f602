import { seededValues } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Only wasm is imported: the cpu reference must be tfjs's own cpu kernels, not Strata's cpu fixes.
import '../../wasm.js';

import { installedKernelFixes } from '../../kernel-fixes.js';

type Numeric = 'float32' | 'int32';

/** Runs Slice through the engine on one backend; checks it leaves exactly its output behind. */
async function sliceOn(
  backendName: string,
  shape: number[],
  dtype: Numeric,
  values: Float32Array | Int32Array,
  begin: number[],
  size: number[],
): Promise<{ shape: number[]; dtype: string; values: number[] }> {
  await tf.setBackend(backendName);
  const x = tf.tensor(values, shape, dtype);
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = tf.backend().numDataIds();
  const out = tf.engine().runKernel('Slice', { x }, { begin, size }) as tf.Tensor;
  expect(tf.memory().numTensors - tensorsBefore).toBe(1);
  expect(tf.backend().numDataIds() - dataBefore).toBe(1);
  const result = { shape: out.shape, dtype: out.dtype, values: Array.from(out.dataSync()) };
  tf.dispose([x, out]);
  return result;
}

function inputValues(shape: number[], dtype: Numeric, seed: number): Float32Array | Int32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const floats = seededValues(n, seed);
  // Distinct integers so a misplaced element cannot match by accident.
  return dtype === 'float32' ? floats : Int32Array.from({ length: n }, (_, i) => i * 7 - 1000);
}

describe('wasm Slice (copies only the slice, from a heap view)', () => {
  afterEach(async () => {
    vi.restoreAllMocks();
    await tf.setBackend('cpu');
  });

  it('is installed as a wrapper of the tfjs kernel', () => {
    expect(installedKernelFixes('wasm')).toContain('Slice');
  });

  const cases: Array<{ shape: number[]; begin: number[]; size: number[]; what: string }> = [
    { shape: [10], begin: [3], size: [4], what: 'rank 1' },
    { shape: [10], begin: [2], size: [-1], what: 'rank 1, size -1' },
    { shape: [12, 5], begin: [4, 0], size: [3, 5], what: 'leading rows' },
    { shape: [12, 5], begin: [4, 1], size: [3, 3], what: 'inner columns' },
    { shape: [12, 5], begin: [0, 2], size: [-1, -1], what: 'size -1 on both axes' },
    { shape: [6, 4, 5], begin: [1, 1, 0], size: [3, 2, 5], what: 'rank 3, whole last axis' },
    { shape: [6, 4, 5], begin: [2, 0, 1], size: [1, -1, 3], what: 'rank 3, one leading index' },
    { shape: [5, 4, 3, 6], begin: [1, 0, 0, 0], size: [2, -1, -1, -1], what: 'rank 4, leading batch' },
    { shape: [5, 4, 3, 6], begin: [0, 1, 1, 2], size: [5, 2, 2, 3], what: 'rank 4, every axis cut' },
    { shape: [3, 4, 2, 3, 5], begin: [1, 2, 0, 1, 1], size: [2, -1, 2, 2, 4], what: 'rank 5' },
    { shape: [3, 4, 2, 3, 5], begin: [0, 0, 0, 0, 0], size: [3, 4, 2, 3, 5], what: 'rank 5, whole tensor' },
    { shape: [4, 3], begin: [2, 0], size: [0, 3], what: 'empty slice' },
  ];
  for (const dtype of ['float32', 'int32'] as const) {
    for (const [i, c] of cases.entries()) {
      it(`matches cpu exactly (${dtype}): ${c.what}`, async () => {
        const values = inputValues(c.shape, dtype, 50 + i);
        const cpu = await sliceOn('cpu', c.shape, dtype, values, c.begin, c.size);
        const wasm = await sliceOn('wasm', c.shape, dtype, values, c.begin, c.size);
        expect(wasm.shape).toEqual(cpu.shape);
        expect(wasm.dtype).toBe(dtype);
        expect(wasm.values).toEqual(cpu.values);
      });
    }
  }

  it('slices by hand: rows 1..2, columns 1..2 of a [3, 4] range', async () => {
    const values = Int32Array.from({ length: 12 }, (_, i) => i);
    const out = await sliceOn('wasm', [3, 4], 'int32', values, [1, 1], [2, 2]);
    expect(out.shape).toEqual([2, 2]);
    // Element (r, c) holds 4r + c.
    expect(out.values).toEqual([5, 6, 9, 10]);
  });

  it('never reads the whole input off the heap for float32', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(seededValues(600, 3), [20, 30]);
    const readSync = vi.spyOn(tf.backend(), 'readSync');
    const s = tf.slice(x, [5, 0], [4, 30]);
    expect(readSync).not.toHaveBeenCalled();
    expect(s.shape).toEqual([4, 30]);
    tf.dispose([x, s]);
  });

  it('leaves bool to the original kernel, with the right values', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([true, false, true, true, false, false], [3, 2], 'bool');
    const s = tf.slice(x, [1, 0], [2, 1]);
    expect(s.dtype).toBe('bool');
    expect(Array.from(s.dataSync())).toEqual([1, 0]);
    tf.dispose([x, s]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('slices a reshaped view (shared storage) and leaks nothing through tf.slice', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const flat = tf.tensor1d(Float32Array.from({ length: 24 }, (_, i) => i));
    const x = tf.reshape(flat, [2, 3, 4]);
    const s = tf.slice(x, [1, 1, 2], [1, 2, 2]);
    // Element (a, b, c) holds 12a + 4b + c.
    expect(Array.from(s.dataSync())).toEqual([18, 19, 22, 23]);
    tf.dispose([flat, x, s]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
