/**
 * @strata/backends: choose where Strata's tensors run. The root entry imports no tfjs backend package;
 * `@strata/backends/cpu`, `/native`, `/wasm`, `/webgl` and `/webgpu` each register one, and `setBackend` loads them on demand.
 * `WorkerModel` and `serveModel` run a model in a Web Worker, driven from the page.
 *
 * @module @strata/backends
 */
export {
  installedKernelFixes,
  installKernelFixes,
  type KernelFix,
  removeKernelFixes,
} from './kernel-fixes.js';
export { type BackendName, getBackend, setBackend } from './set-backend.js';
export {
  findBackend,
  listBackends,
  type RegisterBackendOptions,
  registerBackend,
  type StrataBackend,
} from './strata-backend.js';
export * from './worker.js';

declare module '@strata/core' {
  interface BackendIds {
    native: true;
    cpu: true;
    wasm: true;
    webgl: true;
    webgpu: true;
  }
}
