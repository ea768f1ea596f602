export type { FetchFn } from './fetch-pack.js';
export { loadData, type MnistLoadOptions } from './load-data.js';
export {
  MNIST_FILES,
  type MnistArrays,
  type MnistData,
  type MnistDtype,
  type MnistSplit,
} from './mnist-arrays.js';
export { type PackMnistOptions, packMnist, unpackMnist } from './mnist-pack.js';
export {
  defaultMnistPath,
  readMnistFiles,
  type WriteMnistPackOptions,
  writeMnistPack,
} from './node-files.js';
