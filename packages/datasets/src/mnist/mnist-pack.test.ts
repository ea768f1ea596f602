import { expectNoLeakedTensors } from '@strata/core/testing';
import { describe, expect, it } from 'vitest';

import type { FetchFn } from './fetch-pack.js';
import { encodeIdx } from './idx.js';
import { loadData as loadDataBrowser } from './load-data.browser.js';
import { loadData } from './load-data.js';
import type { MnistArrays } from './mnist-arrays.js';
import { packMnist, unpackMnist } from './mnist-pack.js';

const PIXELS = 28 * 28;

function arrays(trainCount: number, testCount: number): MnistArrays {
  const split = (n: number, base: number) => ({
    images: { dims: [n, 28, 28], data: Uint8Array.from({ length: n * PIXELS }, (_, i) => (base + i) % 256) },
    labels: { dims: [n], data: Uint8Array.from({ length: n }, (_, i) => (base + i) % 10) },
  });
  return { train: split(trainCount, 0), test: split(testCount, 7) };
}

/** A fetch that serves `bytes` at one URL and 404 elsewhere, recording what was asked for. */
function serve(url: string, bytes: Uint8Array): FetchFn & { requested: string[] } {
  const requested: string[] = [];
  const fn = async (u: string) => {
    requested.push(u);
    const ok = u === url;
    return {
      ok,
      status: ok ? 200 : 404,
      statusText: ok ? 'OK' : 'Not Found',
      arrayBuffer: async () => bytes.slice().buffer,
    };
  };
  return Object.assign(fn, { requested });
}

describe('packMnist / unpackMnist', () => {
  it('is four IDX files back to back and round-trips', () => {
    const a = arrays(3, 2);
    const packed = packMnist(a);
    expect(packed.byteLength).toBe(16 + 3 * PIXELS + 8 + 3 + 16 + 2 * PIXELS + 8 + 2);
    // The training labels' header starts right after the training images: magic 2049 = 0x00000801.
    expect(Array.from(packed.subarray(16 + 3 * PIXELS, 16 + 3 * PIXELS + 8))).toEqual([
      0, 0, 8, 1, 0, 0, 0, 3,
    ]);
    const back = unpackMnist(packed, 'mem');
    expect(back.train.images.dims).toEqual([3, 28, 28]);
    expect(Array.from(back.train.images.data)).toEqual(Array.from(a.train.images.data));
    expect(Array.from(back.test.labels.data)).toEqual([7, 8]);
  });

  it('names the part and byte offset when a pack is corrupt', () => {
    const packed = packMnist(arrays(1, 1));
    // Parts: 16 + 784 (training images), 8 + 1 (training labels), 16 + 784 (test images): 1609 bytes.
    expect(() => unpackMnist(packed.subarray(0, packed.length - 1), 'mnist.bin')).toThrow(
      'mnist.bin (test labels, at byte 1609) is truncated: its header declares dimensions 1 (1 bytes of data after the 8-byte header), but only 0 bytes follow.',
    );
    const extra = new Uint8Array(packed.length + 3);
    extra.set(packed);
    expect(() => unpackMnist(extra, 'mnist.bin')).toThrow(
      'mnist.bin is not a packed MNIST asset: 3 unexpected bytes follow its four IDX parts.',
    );
    // A bare label file is not a pack: its magic is 2049 where images (2051) must come first.
    expect(() => unpackMnist(encodeIdx([1], Uint8Array.from([1])), 'labels.bin')).toThrow(
      'labels.bin (training images, at byte 0) is not the expected IDX file: its magic number is 2049',
    );
  });
});

describe('mnist.loadData({ url })', () => {
  const url = 'https://example.test/assets/mnist.bin';

  it('fetches and decodes a pack in Node and with the browser entry, to identical tensors', async () => {
    const a = arrays(4, 3);
    const fetch = serve(url, packMnist(a));
    await expectNoLeakedTensors(async () => {
      for (const load of [loadData, loadDataBrowser]) {
        const [[xTrain, yTrain], [xTest, yTest]] = await load({ url, fetch });
        expect(xTrain.shape).toEqual([4, 28, 28]);
        expect(xTest.shape).toEqual([3, 28, 28]);
        expect(Array.from(xTrain.dataSync())).toEqual(Array.from(a.train.images.data));
        expect(Array.from(yTrain.dataSync())).toEqual([0, 1, 2, 3]);
        expect(Array.from(yTest.dataSync())).toEqual([7, 8, 9]);
        for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
      }
    });
    expect(fetch.requested).toEqual([url, url]);
  });

  it('reports HTTP failures and thrown fetches with the URL', async () => {
    const fetch = serve(url, packMnist(arrays(1, 1)));
    await expect(loadDataBrowser({ url: `${url}.missing`, fetch })).rejects.toThrow(
      `mnist.loadData could not fetch the packed MNIST asset ${url}.missing: HTTP 404 Not Found`,
    );
    const failing: FetchFn = async () => {
      throw new Error('network down');
    };
    await expect(loadData({ url, fetch: failing })).rejects.toThrow(
      `could not fetch the packed MNIST asset ${url}: network down`,
    );
  });

  it('in a browser, needs a url and refuses a file path', async () => {
    await expect(loadDataBrowser()).rejects.toThrow('In a browser, mnist.loadData needs `url`');
    await expect(loadDataBrowser({ path: '/data' })).rejects.toThrow(
      "mnist.loadData's `path` reads files and works in Node only; in a browser pass `url`. Received: path=/data",
    );
  });
});
