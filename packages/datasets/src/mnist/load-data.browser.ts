/** The browser's `mnist.loadData`: there is no file system, so the data is one packed asset fetched by URL. */
import { ValueError } from '@strata/core';

import { fetchMnistPack } from './fetch-pack.js';
import type { MnistLoadOptions } from './load-data.js';
import { type MnistData, mnistTensors } from './mnist-arrays.js';

export type { MnistLoadOptions } from './load-data.js';

/**
 * Loads the MNIST digits from the packed asset at `options.url` (written by `writeMnistPack` at build
 * time). Returns the same tensors as in Node: `[[xTrain, yTrain], [xTest, yTest]]`.
 */
export async function loadData(options: MnistLoadOptions = {}): Promise<MnistData> {
  if (options.path != null) {
    throw new ValueError(
      `mnist.loadData's \`path\` reads files and works in Node only; in a browser pass \`url\`. Received: path=${options.path}`,
    );
  }
  if (options.url == null) {
    throw new ValueError(
      'In a browser, mnist.loadData needs `url`: the address of a packed MNIST asset that your build writes ' +
        'with writeMnistPack (from @strata/datasets in Node). Received: url=undefined',
    );
  }
  return mnistTensors(await fetchMnistPack(options.url, options.fetch), options.dtype);
}
