/**
 * Threaded WebAssembly in a real browser: headless Chromium loads test/wasm-threads-page/entry.ts from a
 * server that sends COOP/COEP (a cross-origin isolated page, with SharedArrayBuffer) or does not, and
 * selects the wasm backend with `setWasmThreads`. Skips only when /usr/bin/chromium is absent.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import {
  CHROMIUM,
  type ChromiumPage,
  CROSS_ORIGIN_ISOLATION,
  hasChromium,
  openChromiumPage,
  tfjsWasmFiles,
} from './chromium-page.js';
import type { PageResults } from './wasm-threads-page/entry.js';

if (!hasChromium)
  console.warn(
    `Skipping the threaded wasm browser test: ${CHROMIUM} is absent (install Debian's chromium package).`,
  );

/** Opens a fresh page (a thread count is fixed once per page) and runs its checks with `threads`. */
async function checksIn(isolated: boolean, threads: number | 'auto', full = false): Promise<PageResults> {
  let page: ChromiumPage | undefined;
  try {
    page = await openChromiumPage('wasm-threads-page/entry.ts', [], {
      headers: isolated ? CROSS_ORIGIN_ISOLATION : {},
      files: tfjsWasmFiles(),
    });
    return await page.run<PageResults>(`runChecks(${JSON.stringify(threads)}, ${full})`);
  } finally {
    await page?.close();
  }
}

describe.skipIf(!hasChromium)('threaded wasm in headless Chromium', () => {
  const results: Record<string, PageResults> = {};

  beforeAll(async () => {
    results.two = await checksIn(true, 2, true);
    results.one = await checksIn(true, 1);
  }, 600_000);

  it("a cross-origin isolated page runs the wasm backend on 2 threads (tfjs's XNNPACK and Strata's own kernels on Web Workers), and on 1 when asked", () => {
    expect(results.two.isolated).toBe(true);
    expect(results.two.error).toBeUndefined();
    expect(results.two.backend).toBe('wasm');
    expect(results.two.threads).toBe(2);
    expect(results.two.strataThreads).toBe(2);
    expect(results.one.threads).toBe(1);
    expect(results.one.strataThreads).toBe(1);
    expect(results.two.warnings).toEqual([]);
  });

  it("on 2 threads, the bench models' products, convolutions and pooling (forward and backward) match cpu and free what they make", () => {
    expect(results.two.kernels?.map((k) => k.name)).toHaveLength(4);
    for (const k of results.two.kernels ?? []) {
      expect(k.worstValue, k.name).toBeLessThan(1e-4);
      expect(k.worstGrad, k.name).toBeLessThan(1e-4);
      expect(k.leaked, k.name).toBe(0);
    }
  });

  it("on 2 threads, every layer's gradients match cpu", () => {
    expect(results.two.layers?.length).toBeGreaterThan(10);
    for (const l of results.two.layers ?? []) expect(l.worstGradDiff, l.name).toBeLessThan(1e-4);
  });

  it("the networks train on 2 threads: losses match cpu to 1e-4 after each of 3 steps, equal 1 thread's, and no tensors are left", () => {
    const two = results.two.training ?? [];
    const one = results.one.training ?? [];
    expect(two.map((t) => t.name)).toEqual(one.map((t) => t.name));
    expect(two.length).toBeGreaterThanOrEqual(4);
    for (const [i, t] of two.entries()) {
      expect(t.leaked, t.name).toBe(0);
      expect(t.wasm[3], t.name).toBeLessThan(t.wasm[0]);
      for (let s = 0; s < 4; s++) {
        expect(Math.abs(t.wasm[s] - t.cpu[s]), `${t.name} step ${s}`).toBeLessThan(1e-4);
        expect(Math.abs(t.wasm[s] - one[i].wasm[s]), `${t.name} step ${s}, 1 vs 2 threads`).toBeLessThan(
          1e-6,
        );
      }
    }
  });

  it("Strata's Adam kernel runs on the threaded build's shared memory and follows Keras 3's formulas", () => {
    for (const r of results.two.adamUpdate ?? []) {
      expect(r.kernel).toBe(true);
      expect(r.worst, JSON.stringify(r.shape)).toBeLessThan(1e-5);
      expect(r.leakedData, JSON.stringify(r.shape)).toBe(0);
    }
    expect(results.two.adamUpdate).toHaveLength(5);
  });

  it("Strata's pool runs in tfjs's own shared heap: training's products, convolutions and pooling gradients ran on it and copied nothing", () => {
    expect(results.two.inPlace).toBe(true);
    expect(results.two.jobsRun?.gemm).toBeGreaterThan(0);
    expect(results.two.jobsRun?.im2col).toBeGreaterThan(0);
    expect(results.two.jobsRun?.maxPoolGrad).toBeGreaterThan(0);
    expect(results.two.bytesCopied).toBe(0);
  });

  it("the threaded Adam updates in place in tfjs's heap on odd sizes, bit for bit as the single-threaded loop and a 1-thread pool, leaving no data; under 2^20 elements it stays on the loop", () => {
    const adam = results.two.threadedAdam;
    expect(adam?.jobs).toEqual([1, 1, 1, 1]);
    expect(adam?.equalToLoop).toEqual([true, true, true, true]);
    expect(adam?.equalOneThread).toEqual([true, true, true, true]);
    expect(adam?.leakedData).toBe(0);
    expect(adam?.floor).toBe(2 ** 20);
    expect(adam?.jobsUnderFloor).toBe(0);
  });

  it('a trapping job fails with a clear error, a disposed pool refuses work leaving no tensor data, and removing the backend stops the workers', () => {
    const f = results.two.failures;
    expect(f?.trap).toMatch(
      /^Strata's wasm threads failed: (thread 1|the calling thread) threw RuntimeError: memory access out of bounds/,
    );
    expect(f?.disposed).toBe(
      "Strata's wasm threads cannot run: the pool was disposed (its backend was removed). Remove the wasm backend (tf.removeBackend('wasm')) and select it again.",
    );
    expect(f?.leakedData).toBe(0);
    expect(f?.workersAfterRemoval).toBe(0);
  });

  it('without cross-origin isolation, asking for 2 threads fails with the reason and leaves cpu active; the default runs 1 thread and says so once', async () => {
    const asked = await checksIn(false, 2);
    expect(asked.isolated).toBe(false);
    expect(asked.error).toBe(
      'The wasm backend cannot run 2 threads here: this page is not cross-origin isolated, so it has no SharedArrayBuffer (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp). Received: threads=2',
    );
    expect(asked.backend).toBe('cpu');
    const auto = await checksIn(false, 'auto');
    expect(auto.error).toBeUndefined();
    expect(auto.backend).toBe('wasm');
    expect(auto.threads).toBe(1);
    expect(auto.strataThreads).toBe(1);
    expect(auto.warnings).toEqual([
      "Strata's wasm backend runs on one thread: this page is not cross-origin isolated, so it has no SharedArrayBuffer (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp).",
    ]);
    // The same single-threaded SIMD build as threads: 1 in an isolated page.
    expect(auto.training?.map((t) => t.wasm)).toEqual(results.one.training?.map((t) => t.wasm));
  }, 600_000);
});
