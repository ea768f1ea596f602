/**
 * `import '@strata/backends/wasm'` registers tfjs's WebAssembly backend with Strata, with the kernel
 * fixes training needs there (transpose-free matMul gradients, the missing convolution gradients).
 *
 * @module @strata/backends/wasm
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { wasmDescription } from './builtin-backends.js';
import { wasmKernelFixes } from './kernels/wasm/index.js';
import { packageMainFolder } from './node-paths.js';
import { registerBackend } from './strata-backend.js';

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
    },
    kernelFixes: wasmKernelFixes,
  },
  { module: wasmDescription.entry, override: true },
);
