export type { FetchFn } from './fetch-pack.js';
export { loadData, type MnistLoadOptions } from './load-data.browser.js';
export {
  MNIST_FILES,
  type MnistArrays,
  type MnistData,
  type MnistDtype,
  type MnistSplit,
} from './mnist-arrays.js';
export { type PackMnistOptions, packMnist, unpackMnist } from './mnist-pack.js';
