/**
 * WorkerModel driving serveModel in a real dedicated Web Worker: headless Chromium (WebGPU on SwiftShader,
 * as in webgpu-browser.test.ts) opens test/worker-page/entry.ts, which starts test/worker-page/worker.ts as
 * a module Worker, selects webgpu or wasm there, and trains a Dense and a Conv2D model in it; the page
 * runs the same fits on cpu from the same initial weights. Skips when /usr/bin/chromium is absent; when
 * Chromium gives no WebGPU adapter the test fails under CI (CI=true), and elsewhere the webgpu case skips.
 */
import { WEBGPU_CHROMIUM_ARGS } from '@strata/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WebGPUProbe } from '../src/builtin-backends.js';
import {
  CHROMIUM,
  type ChromiumPage,
  hasChromium,
  openChromiumPage,
  tfjsWasmFiles,
} from './chromium-page.js';
import type { CaseResult } from './worker-page/entry.js';

const inCI = process.env.CI === 'true';

if (!hasChromium)
  console.warn(
    `Skipping the Web Worker browser test: ${CHROMIUM} is absent (install Debian's chromium package).`,
  );

describe.skipIf(!hasChromium)('WorkerModel in a dedicated Web Worker in headless Chromium', () => {
  let page: ChromiumPage | undefined;
  let noAdapter = '';

  beforeAll(async () => {
    page = await openChromiumPage('worker-page/entry.ts', [...WEBGPU_CHROMIUM_ARGS], {
      files: tfjsWasmFiles(),
      scripts: { '/worker.js': 'worker-page/worker.ts' },
    });
    const adapter = await page.run<WebGPUProbe>('probeAdapter()');
    if (adapter.kind === 'none') {
      noAdapter = `Chromium gave no WebGPU adapter: ${adapter.reason}`;
      if (inCI) throw new Error(`${noAdapter} (install mesa-vulkan-drivers and libvulkan1).`);
      console.warn(`Skipping the WebGPU worker case: ${noAdapter}.`);
    }
  }, 120_000);

  afterAll(async () => {
    await page?.close();
  });

  /** The checks every backend's cases pass: the worker trains as the page's cpu does, without leaks. */
  function expectLikeCpu(cases: CaseResult[], backend: string): void {
    expect(cases.map((c) => c.name)).toEqual(['Dense', 'Conv2D']);
    for (const c of cases) {
      expect(c.backend, c.name).toBe(backend);
      expect(c.transferred, c.name).toBe(true);
      // Two fits of 3 batches each (24 rows in batches of 8).
      expect(c.worker, c.name).toHaveLength(6);
      expect(c.page, c.name).toHaveLength(6);
      for (let i = 0; i < 6; i++) {
        expect(Number.isFinite(c.worker[i]), `${c.name} batch ${i}`).toBe(true);
        expect(Math.abs(c.worker[i] - c.page[i]), `${c.name} batch ${i}`).toBeLessThan(1e-4);
      }
      // The first fit builds the optimizer's variables; the second must add nothing.
      expect(c.counts[1], c.name).toBe(c.counts[0]);
      expect(c.predictShape, c.name).toEqual([24, 3]);
      expect(c.predictDiff, c.name).toBeLessThan(1e-4);
    }
  }

  it("trains on 'webgpu' in the worker: batch losses match the page's cpu fit to 1e-4, tensor counts stay flat, predict matches the saved model on cpu", async (ctx) => {
    if (noAdapter) ctx.skip(noAdapter);
    const cases = await page!.run<CaseResult[]>("runChecks('webgpu')");
    expectLikeCpu(cases, 'webgpu');
  }, 120_000);

  it("trains on 'wasm' in the worker: batch losses match the page's cpu fit to 1e-4, tensor counts stay flat, predict matches the saved model on cpu", async () => {
    const cases = await page!.run<CaseResult[]>("runChecks('wasm')");
    expectLikeCpu(cases, 'wasm');
  }, 120_000);
});
