/**
 * `import '@strata/backends/wasm'` registers tfjs's WebAssembly backend with Strata, with the kernel
 * fixes training needs there (transpose-free matMul gradients, the missing convolution gradients), and
 * sets how many threads its kernels use (`setWasmThreads`: with more than one, Strata's threaded kernels
 * run the matrix products, convolutions and MaxPool's gradient, and in a browser large weights' Adam update).
 *
 * @module @strata/backends/wasm
 */
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

import { wasmDescription } from './builtin-backends.js';
import { wasmKernelFixes } from './kernels/wasm/index.js';
import { activeThreadPool, setActiveThreadPool, sharedHeapOf } from './kernels/wasm/threaded/kernels.js';
import { ThreadPool } from './kernels/wasm/threaded/pool.js';
import { isNode, packageMainFolder } from './node-paths.js';
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
      // tfjs's own threaded build only loads in a browser; in Node its SIMD build runs beside our pool.
      const tfjsThreads = isNode() ? 1 : threads;
      // One thread takes the plain SIMD build (no workers); more take the threaded one.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', tfjsThreads > 1);
      setThreadsCount(tfjsThreads);
      if (threads === 1) return;
      // Created here, not by setBackend's own tf.setBackend, to lift tfjs's half-the-cores cap meanwhile
      // and to tie the pool to this backend: removing it stops the workers.
      const created = await withThreadsAllowed(tfjsThreads, () => tf.setBackend('wasm'));
      const backend = created ? tf.findBackend('wasm') : null;
      if (backend == null) throw new Error('tfjs could not create the wasm backend');
      let pool: ThreadPool;
      try {
        // In tfjs's own heap where that is shared (its threaded build): the kernels then copy nothing.
        pool = await ThreadPool.create(threads, sharedHeapOf(backend));
      } catch (err) {
        tf.removeBackend('wasm');
        throw err;
      }
      const dispose = backend.dispose.bind(backend);
      backend.dispose = () => {
        if (activeThreadPool() === pool) setActiveThreadPool(null);
        pool.dispose();
        dispose();
      };
      setActiveThreadPool(pool);
    },
    kernelFixes: wasmKernelFixes,
  },
  { module: wasmDescription.entry, override: true },
);
