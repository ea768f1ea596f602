import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

import { activeBackendMemory } from '../backend-check.js';
import { type RegistryEntry, registry } from '../registry.js';
import {
  type BatchData,
  backendKeepsHostMemory,
  forEachArrayBatch,
  splitValidation,
} from './epoch-iterator.js';

const FAKE = { name: 'cpu', priority: 1, init: async () => {} };

// The tests start without a 'cpu' backend entry; the one another test file in this process may have
// registered (importing @strata/backends) is put back after each test.
let saved: RegistryEntry | undefined;
beforeEach(() => {
  saved = registry.find('backend', 'cpu');
  registry.unregister('backend', 'cpu');
});
afterEach(() => {
  registry.unregister('backend', 'cpu');
  if (saved) {
    registry.register('backend', saved.key, saved.value, { module: saved.module, aliases: saved.aliases });
  }
});

function rows(n: number): BatchData {
  const xs = [
    tf.tensor2d(
      Array.from({ length: n * 2 }, (_, i) => i),
      [n, 2],
    ),
  ];
  const ys = [tf.tensor1d(Array.from({ length: n }, (_, i) => 100 + i))];
  return { xs, ys, sws: [ys[0]], size: n };
}

async function collect(data: BatchData, shuffle: boolean, stopAfter = Infinity): Promise<number[][]> {
  const seen: number[][] = [];
  let calls = 0;
  await forEachArrayBatch(
    data,
    3,
    shuffle,
    10,
    async (_step, batch) => {
      calls++;
      // A shared tensor (targets used as sample weights) is copied once per batch.
      expect(batch.sws[0]).toBe(batch.ys[0]);
      seen.push(Array.from(batch.ys[0].dataSync()));
    },
    () => calls >= stopAfter,
  );
  return seen;
}

describe('the epoch iterator', () => {
  test("host memory comes from the backend's registry entry, not from its name", () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(activeBackendMemory()).toBe('unknown');
    expect(backendKeepsHostMemory()).toBe(false);
    registry.register('backend', 'cpu', { ...FAKE, hostMemory: true }, { override: true });
    expect(activeBackendMemory()).toBe('host');
    expect(backendKeepsHostMemory()).toBe(true);
    registry.register('backend', 'cpu', { ...FAKE }, { override: true });
    expect(activeBackendMemory()).toBe('device');
    expect(backendKeepsHostMemory()).toBe(false);
  });

  test('host copies and device gathers give the same batches, release them, and stop when asked', async () => {
    const data = rows(8);
    const before = tf.memory().numTensors;
    const device = await collect(data, false);
    registry.register('backend', 'cpu', { ...FAKE, hostMemory: true }, { override: true });
    const host = await collect(data, false);
    expect(device).toEqual([
      [100, 101, 102],
      [103, 104, 105],
      [106, 107],
    ]);
    expect(host).toEqual(device);
    const shuffled = await collect(data, true);
    expect(shuffled.flat().sort()).toEqual(device.flat());
    expect(await collect(data, false, 2)).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...data.xs, ...data.ys]);
  });

  test('validation split keeps the last rows for validation', () => {
    const data = rows(5);
    const owned: tf.Tensor[] = [];
    const { train, val } = splitValidation(data, 4, owned);
    expect(train.size).toBe(4);
    expect(val.size).toBe(1);
    expect(Array.from(val.xs[0].dataSync())).toEqual([8, 9]);
    expect(Array.from(train.sws[0]!.dataSync())).toEqual([100, 101, 102, 103]);
    tf.dispose([...owned, ...data.xs, ...data.ys]);
  });
});
