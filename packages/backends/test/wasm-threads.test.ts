/**
 * `setWasmThreads` in Node: the argument checks, 'auto' (Strata's threaded kernels on worker_threads; tfjs's
 * own count stays 1), and the count fixed once selected. The kernels themselves:
 * wasm-threaded-kernels.test.ts; the browser (and the error where threads cannot run):
 * wasm-threads-browser.test.ts.
 */
import { availableParallelism } from 'node:os';

import { ValueError } from '@strata/core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it, vi } from 'vitest';

import { setBackend } from '../src/index.js';
import '../src/cpu.js';
import { activeThreadPool } from '../src/kernels/wasm/threaded/kernels.js';
import { MAX_DEFAULT_WASM_THREADS, setWasmThreads, wasmThreadsUnavailable } from '../src/wasm.js';
import { withThreadsAllowed } from '../src/wasm-threads.js';

describe('setWasmThreads', () => {
  it('takes a positive integer or auto', () => {
    for (const bad of [0, -2, 1.5, Number.NaN, '2', null]) {
      expect(() => setWasmThreads(bad as number)).toThrow(ValueError);
    }
    expect(() => setWasmThreads(1.5)).toThrow(
      "setWasmThreads expects a positive integer or 'auto'. Received: threads=1.5",
    );
  });

  it("in Node, 'auto' gives the cores (at most 4) to Strata's kernels on worker_threads, quietly, while tfjs-wasm runs one; the count is then fixed", async () => {
    // Node always has SharedArrayBuffer and worker_threads (tfjs's own threaded build does not load there).
    expect(wasmThreadsUnavailable()).toBeNull();
    await setBackend('cpu');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    setWasmThreads('auto');
    await setBackend('wasm');
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    const cores = Math.min(availableParallelism(), MAX_DEFAULT_WASM_THREADS);
    expect(activeThreadPool()?.threads ?? 1).toBe(cores);
    expect(getThreadsCount()).toBe(1);
    expect(() => setWasmThreads(2)).toThrow(
      "setWasmThreads must be called before the wasm backend is first selected (tfjs creates its thread pool once). Received: threads=2 after setBackend('wasm')",
    );
  });
});

describe('withThreadsAllowed', () => {
  it('shows tfjs 2 × threads cores while the backend is created, then the real count, even when creation throws', async () => {
    class FakeNavigator {
      get hardwareConcurrency() {
        return 2;
      }
    }
    const nav = new FakeNavigator();
    const g = globalThis as { navigator?: unknown };
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
    try {
      expect(await withThreadsAllowed(3, async () => nav.hardwareConcurrency)).toBe(6);
      expect(nav.hardwareConcurrency).toBe(2);
      await expect(
        withThreadsAllowed(2, async () => {
          throw new Error(`boom at ${nav.hardwareConcurrency}`);
        }),
      ).rejects.toThrow('boom at 4');
      expect(nav.hardwareConcurrency).toBe(2);
      expect(g.navigator).toBe(nav);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete g.navigator;
    }
  });
});
