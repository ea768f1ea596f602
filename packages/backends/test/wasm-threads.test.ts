/**
 * `setWasmThreads` in Node: the argument checks, the clear error where threads cannot run (tfjs-backend-wasm
 * runs one thread in Node), and the count tfjs gets. The threaded build itself: wasm-threads-browser.test.ts.
 */
import { RuntimeError, ValueError } from '@strata/core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';

import { setBackend } from '../src/index.js';
import '../src/cpu.js';
import { setWasmThreads, wasmThreadsUnavailable } from '../src/wasm.js';
import { withThreadsAllowed } from '../src/wasm-threads.js';

const NODE_REASON =
  "tfjs-backend-wasm 4.22 runs one thread in Node (its threaded build's workers start from blob: URLs, which Node's worker_threads refuse)";

describe('setWasmThreads', () => {
  it('takes a positive integer or auto', () => {
    for (const bad of [0, -2, 1.5, Number.NaN, '2', null]) {
      expect(() => setWasmThreads(bad as number)).toThrow(ValueError);
    }
    expect(() => setWasmThreads(1.5)).toThrow(
      "setWasmThreads expects a positive integer or 'auto'. Received: threads=1.5",
    );
  });

  it('in Node, threads > 1 fail at setBackend with the reason, leave cpu active and no tensors; then 1 thread works and the count is fixed', async () => {
    expect(wasmThreadsUnavailable()).toBe(NODE_REASON);
    await setBackend('cpu');
    const before = tf.memory().numTensors;
    setWasmThreads(2);
    const failure = setBackend('wasm');
    await expect(failure).rejects.toThrow(RuntimeError);
    await expect(failure).rejects.toThrow(
      `The wasm backend cannot run 2 threads here: ${NODE_REASON}. Received: threads=2`,
    );
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    setWasmThreads('auto');
    await setBackend('wasm');
    // Node cannot run threads, and nothing the user changes would help: 'auto' takes 1 without a word.
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
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
