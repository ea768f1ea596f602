/**
 * `import '@strata/backends/wasm'` registers tfjs's WebAssembly backend with Strata, with the kernel
 * fixes training needs there (transpose-free matMul gradients, the missing convolution gradients), and
 * sets how many threads its kernels use (`setWasmThreads`).
 *
 * @module @strata/backends/wasm
 */
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import { wasmDescription } from './builtin-backends.js';
import { wasmKernelFixes } from './kernels/wasm/index.js';
import { packageMainFolder } from './node-paths.js';
import { registerBackend } from './strata-backend.js';
import { resolveWasmThreads, withThreadsAllowed } from './wasm-threads.js';

export { MAX_DEFAULT_WASM_THREADS, setWasmThreads, wasmThreadsUnavailable } from './wasm-threads.js';

let pathsSet = false;

/**
 * In Node, points tfjs at the .wasm files of the installed package (its dist folder), so nothing is
 * fetched from the network and no bundler setup is needed. In a browser, serve the .wasm files and call
 * tfjs's `setWasmPaths` yourself if they are not next to your bundle.
 */
function useInstalledWasmFiles(): void {
  if (pathsSet) return;
  const folder = packageMainFolder('@tensorflow/tfjs-backend-wasm', import.meta.url);
  if (folder) setWasmPaths(folder);
  pathsSet = true;
}

useInstalledWasmFiles();

/** Strata's entry for tfjs's WebAssembly backend, registered by importing `@strata/backends/wasm`. */
export const wasmBackend = registerBackend(
  {
    ...wasmDescription,
    async init() {
      useInstalledWasmFiles();
      if (tf.engine().registry.wasm != null) return;
      const threads = resolveWasmThreads();
      // One thread takes the plain SIMD build (no workers); more take the threaded one.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
      setThreadsCount(threads);
      // Created here, not by setBackend's own tf.setBackend, to lift tfjs's half-the-cores cap meanwhile.
      if (threads > 1) await withThreadsAllowed(threads, () => tf.setBackend('wasm'));
    },
    kernelFixes: wasmKernelFixes,
  },
  { module: wasmDescription.entry, override: true },
);
