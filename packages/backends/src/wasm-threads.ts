/**
 * How many threads the wasm backend's kernels use, and whether threads can run here. Threads share a
 * `WebAssembly.Memory`, which needs `SharedArrayBuffer`: browsers grant it only to cross-origin isolated
 * pages; Node always has it. With more than one thread, Strata's own kernels (kernels/wasm/threaded:
 * GEMM, im2col convolutions and their gradients, MaxPool's gradient, and in a browser Adam's update) run
 * on a pool of workers (Web Workers, or `worker_threads` in Node), and in a browser tfjs-backend-wasm's
 * threaded XNNPACK build runs the rest, in whose shared heap Strata's kernels then work in place. In Node
 * tfjs-wasm itself stays on one thread: tfjs 4.22 turns its threaded build off there (tfjs issue 3830; its
 * pthread workers start from `blob:` URLs, which `worker_threads` refuses).
 */
import { RuntimeError, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { isNode } from './node-paths.js';

/**
 * The default thread count's ceiling. A batch-128 layer splits into a few dozen tiles, and each extra
 * worker adds a wake-up per kernel call; 4 keeps most of the gain on larger machines without a worker per
 * core on a 16-core laptop (unmeasured beyond 2 cores: this project's bench machine has 2).
 */
export const MAX_DEFAULT_WASM_THREADS = 4;

let requested: number | 'auto' = 'auto';
let warned = false;

/**
 * Sets how many threads `setBackend('wasm')` gives the wasm backend's kernels. Call it before the wasm
 * backend is first selected: the thread pools are created once per backend.
 *
 * - `'auto'` (the default): the number of cores, at most 4, where threads can run (Node, or a
 *   cross-origin isolated browser page); elsewhere one thread, and in a browser Strata says so once.
 * - A count `n > 1`: exactly `n` threads (Strata's own GEMM, convolution and pooling-gradient kernels on
 *   `n - 1` workers and the calling thread; in a browser tfjs's XNNPACK threads too), or `setBackend('wasm')`
 *   fails with the reason (no `SharedArrayBuffer`: the page is not cross-origin isolated). Threads never
 *   silently fall back once asked for.
 * - `1`: tfjs-backend-wasm's single-threaded SIMD build, with no workers.
 *
 * Usage: `setWasmThreads(2); await setBackend('wasm');`.
 */
export function setWasmThreads(threads: number | 'auto'): void {
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) {
    throw new ValueError(
      `setWasmThreads expects a positive integer or 'auto'. Received: threads=${JSON.stringify(threads)}`,
    );
  }
  if (tf.engine().registry.wasm != null) {
    throw new RuntimeError(
      `setWasmThreads must be called before the wasm backend is first selected (tfjs creates its thread pool once). Received: threads=${threads} after setBackend('wasm')`,
    );
  }
  requested = threads;
}

/** Why the wasm backend cannot run threads here, or null when it can. */
export function wasmThreadsUnavailable(): string | null {
  if (isNode()) return null;
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) {
    return 'this page is not cross-origin isolated, so it has no SharedArrayBuffer (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  return null;
}

function cores(): number {
  if (isNode() && typeof process.getBuiltinModule === 'function') {
    return (process.getBuiltinModule('node:os') as typeof import('node:os')).availableParallelism();
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/**
 * The thread count for the wasm backend about to be created, from `setWasmThreads`: throws where threads
 * were asked for and cannot run; warns once (in a browser) where 'auto' falls back to one thread.
 */
export function resolveWasmThreads(): number {
  const reason = wasmThreadsUnavailable();
  if (requested === 'auto') {
    const wanted = Math.min(cores(), MAX_DEFAULT_WASM_THREADS);
    if (wanted > 1 && reason != null) {
      if (!isNode() && !warned) {
        console.warn(`Strata's wasm backend runs on one thread: ${reason}.`);
        warned = true;
      }
      return 1;
    }
    return wanted;
  }
  if (requested > 1 && reason != null) {
    throw new RuntimeError(
      `The wasm backend cannot run ${requested} threads here: ${reason}. Received: threads=${requested}`,
    );
  }
  return requested;
}

/**
 * Runs `create` (the tfjs backend's creation) while `navigator.hardwareConcurrency` reads `2 * threads`.
 * tfjs-backend-wasm 4.22's C side caps its thread pool at half the logical cores (it assumes two
 * hyper-threads per core), so on a 2-core machine any count gave 1 thread; it reads the value once, while
 * the module starts. The page's own value is back as soon as `create` settles.
 */
export async function withThreadsAllowed<T>(threads: number, create: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav == null || Object.hasOwn(nav, 'hardwareConcurrency')) return create();
  Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    return await create();
  } finally {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}
