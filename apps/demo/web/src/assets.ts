/** Names shared by the build (vite.config.ts), which writes these assets, and the page, which fetches them. */

/** How many MNIST digits the page's asset holds: a subset, to keep the download small (about 9.4 MB). */
export const MNIST_TRAIN_COUNT = 10_000;
export const MNIST_TEST_COUNT = 2_000;

/** The packed MNIST subset, relative to the page. */
export const MNIST_ASSET = `mnist-${MNIST_TRAIN_COUNT / 1000}k-${MNIST_TEST_COUNT / 1000}k.bin`;

/** The folder holding tfjs's .wasm binaries, relative to the page. */
export const WASM_DIR = 'wasm';
