import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectWasmMatchesCpu, randomInput } from './test-parity.js';

function ids(values: number[]) {
  // Passed as float data and cast by tf.tensor in runKernelOn; the kernel takes int32 or casts.
  return { shape: [values.length], values: Float32Array.from(values) };
}

describe('wasm UnsortedSegmentSum (Gather gradient)', () => {
  it('is registered for wasm once @strata/backends/wasm is imported', () => {
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });

  it('matches cpu with repeated and missing segments, rank-1 data', async () => {
    await expectWasmMatchesCpu(
      'UnsortedSegmentSum',
      { x: randomInput([6], 1), segmentIds: ids([0, 2, 2, 4, 0, 2]) },
      { numSegments: 6 },
    );
  });

  it('matches cpu on rows of a matrix (an Embedding gradient)', async () => {
    await expectWasmMatchesCpu(
      'UnsortedSegmentSum',
      { x: randomInput([8, 5], 2), segmentIds: ids([3, 1, 3, 0, 7, 1, 1, 3]) },
      { numSegments: 9 },
    );
  });

  it('matches cpu through tf.grad of gather', async () => {
    const values = randomInput([10, 3], 3);
    const results: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const x = tf.tensor(values.values, values.shape);
      const idx = tf.tensor1d([4, 4, 9, 0, 4], 'int32');
      const g = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(v, idx), tf.reshape(tf.range(1, 16), [5, 3]))),
      )(x);
      results.push(g.dataSync() as Float32Array);
      tf.dispose([g, x, idx]);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(Array.from(results[1])).toEqual(Array.from(results[0]));
  });
});
