/**
 * WebGPU in a real browser: headless Chromium with WebGPU on SwiftShader (Vulkan, from Debian's
 * mesa-vulkan-drivers and libvulkan1) loads a page bundled from test/webgpu-page/entry.ts and runs the
 * backend parity checks there against cpu. Skips when /usr/bin/chromium is absent; when Chromium gives no
 * WebGPU adapter it fails under CI (CI=true) and skips, with a message, elsewhere.
 */
import { WEBGPU_CHROMIUM_ARGS } from '@strata/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROMIUM, type ChromiumPage, hasChromium, openChromiumPage } from './chromium-page.js';
import type { PageResults } from './webgpu-page/entry.js';

const inCI = process.env.CI === 'true';

if (!hasChromium)
  console.warn(
    `Skipping the WebGPU browser test: ${CHROMIUM} is absent (install Debian's chromium package).`,
  );

describe.skipIf(!hasChromium)('WebGPU in headless Chromium', () => {
  let page: ChromiumPage | undefined;
  let results: PageResults | undefined;
  let noAdapter = '';

  beforeAll(async () => {
    page = await openChromiumPage('webgpu-page/entry.ts', [...WEBGPU_CHROMIUM_ARGS]);
    const adapter = await page.run<PageResults['adapter']>('probeAdapter()');
    if (adapter.kind === 'none') {
      noAdapter = `Chromium gave no WebGPU adapter: ${adapter.reason}`;
      if (inCI) throw new Error(`${noAdapter} (install mesa-vulkan-drivers and libvulkan1).`);
      console.warn(`Skipping the WebGPU checks: ${noAdapter}.`);
      return;
    }
    results = await page.run<PageResults>('runChecks()');
  }, 600_000);

  afterAll(async () => {
    await page?.close();
  });

  /** The page's results, or a skip when there is no adapter outside CI (in CI beforeAll has failed). */
  const checked = (ctx: { skip: (note?: string) => void }): PageResults => {
    if (!results) ctx.skip(noAdapter);
    return results as PageResults;
  };

  it("SwiftShader's adapter counts as software: 'auto' picks webgl over it, and setBackend('webgpu') still runs on it", (ctx) => {
    const r = checked(ctx);
    expect(r.adapter.kind).toBe('fallback');
    expect(r.auto).toBe('webgl');
    expect(r.backends).toEqual(['webgpu', 'webgl', 'cpu']);
    expect(r.ended).toBe('webgpu');
  });

  it('every kernel the layers run forward and backward exists on webgpu, with gradients matching cpu', (ctx) => {
    const r = checked(ctx);
    expect(r.layers.length).toBeGreaterThan(10);
    for (const layer of r.layers) {
      expect(layer.missing, layer.name).toEqual([]);
      expect(layer.worstGradDiff, layer.name).toBeLessThan(1e-4);
    }
  });

  it('dense and conv + batch-norm networks train on webgpu: loss falls, matches cpu after each of 3 steps to 1e-4, no tensors left behind', (ctx) => {
    const r = checked(ctx);
    expect(r.training.map((t) => t.name)).toEqual(['MLP', 'BatchNorm + DepthwiseConv2D + AveragePooling2D']);
    for (const t of r.training) {
      expect(t.leaked, t.name).toBe(0);
      expect(t.webgpu[3], t.name).toBeLessThan(t.webgpu[0]);
      for (let i = 0; i < 4; i++)
        expect(Math.abs(t.webgpu[i] - t.cpu[i]), `${t.name} step ${i}`).toBeLessThan(1e-4);
    }
  });

  it("Strata's webgpu StrataAdamUpdate (Adam in three compute passes) follows Keras 3's formulas on every shape and frees what it makes", (ctx) => {
    const r = checked(ctx);
    expect(r.adamUpdate.map((a) => a.shape)).toEqual([[784, 512], [7], [3, 5, 11], [], [13, 17]]);
    for (const a of r.adamUpdate) {
      expect(a.kernel).toBe(true);
      expect(a.worst, JSON.stringify(a.shape)).toBeLessThan(1e-5);
      expect(a.leakedData, JSON.stringify(a.shape)).toBe(0);
    }
  });

  it("Strata's sequence models (Bidirectional LSTM + GRU with masking, causal MultiHeadAttention) train on webgpu: every weight moves (non-zero RNN gradients), losses match cpu to 1e-4, tensor counts stay flat", (ctx) => {
    const r = checked(ctx);
    expect(r.sequence.map((s) => s.name)).toEqual([
      'Embedding(maskZero) → Bidirectional(LSTM) → GRU → Dense',
      'transformer block: MultiHeadAttention (causal) + LayerNormalization + Dense',
    ]);
    for (const s of r.sequence) {
      expect(s.unchanged, s.name).toEqual([]);
      expect(s.webgpu.every(Number.isFinite), s.name).toBe(true);
      expect(s.webgpu[3], s.name).toBeLessThan(s.webgpu[0]);
      expect(s.webgpuCounts[1], s.name).toBe(s.webgpuCounts[0]);
      for (let i = 0; i < 4; i++)
        expect(Math.abs(s.webgpu[i] - s.cpu[i]), `${s.name} step ${i}`).toBeLessThan(1e-4);
    }
  });
});
