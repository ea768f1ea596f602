/**
 * WebGL2 in a real browser: headless Chromium (software GL through SwiftShader) loads a page bundled
 * from test/webgl-page/entry.ts and runs the kernel-coverage and training checks there. Skips only when
 * /usr/bin/chromium is absent (CI installs it); never downloads a browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CHROMIUM, type ChromiumPage, hasChromium, openChromiumPage } from './chromium-page.js';
import type { PageResults } from './webgl-page/entry.js';

if (!hasChromium)
  console.warn(`Skipping the WebGL browser test: ${CHROMIUM} is absent (install Debian's chromium package).`);

describe.skipIf(!hasChromium)('WebGL2 in headless Chromium', () => {
  let page: ChromiumPage | undefined;
  let results: PageResults;

  beforeAll(async () => {
    page = await openChromiumPage('webgl-page/entry.ts');
    results = await page.run<PageResults>('runChecks()');
  }, 600_000);

  afterAll(async () => {
    await page?.close();
  });

  it("setBackend('auto') picks webgl in a browser with WebGL2", () => {
    expect(results.auto).toBe('webgl');
    expect(results.backends).toEqual(['webgl', 'cpu']);
  });

  it('every kernel the layers run forward and backward exists on webgl, with gradients matching cpu', () => {
    expect(results.layers.length).toBeGreaterThan(10);
    for (const layer of results.layers) {
      expect(layer.missing, layer.name).toEqual([]);
      expect(layer.kernels.length, layer.name).toBeGreaterThan(2);
      // SwiftShader renders to float32 textures, so gradients agree closely; half floats would not.
      expect(layer.worstGradDiff, layer.name).toBeLessThan(results.float32 ? 1e-4 : 5e-2);
    }
  });

  it("Strata's webgl Conv2DBackpropFilter matches tfjs-backend-webgl's own (strides, padding, NCHW, ceil rounding) and frees what it makes", () => {
    expect(results.filterGradient.length).toBe(7);
    for (const c of results.filterGradient) {
      expect(c.shapes[0], c.name).toEqual(c.shapes[1]);
      expect(c.worst, c.name).toBeLessThan(1e-4);
      expect(c.leakedData, c.name).toBe(0);
    }
  });

  it("Strata's webgl StrataAdamUpdate (Adam in three shader passes) follows Keras 3's formulas on every shape and frees what it makes", () => {
    expect(results.adamUpdate.map((r) => r.shape)).toEqual([[784, 512], [7], [3, 5, 11], [], [13, 17]]);
    for (const r of results.adamUpdate) {
      expect(r.kernel).toBe(true);
      expect(r.worst, JSON.stringify(r.shape)).toBeLessThan(1e-5);
      expect(r.leakedData, JSON.stringify(r.shape)).toBe(0);
    }
  });

  it("Strata's sequence models (Bidirectional LSTM + GRU with masking, SimpleRNN, causal MultiHeadAttention) train on webgl: loss falls, matches cpu after each of 3 steps, no tensors left behind", () => {
    expect(results.sequence.map((r) => r.name)).toEqual([
      'Embedding(maskZero) → Bidirectional(LSTM) → GRU → Dense',
      'SimpleRNN (goBackwards) → Dense',
      'transformer block: MultiHeadAttention (causal) + LayerNormalization + Dense',
    ]);
    for (const r of results.sequence) {
      expect(r.webgl.every(Number.isFinite), r.name).toBe(true);
      expect(r.webgl[3], r.name).toBeLessThan(r.webgl[0]);
      expect(r.webglCounts[1], r.name).toBe(r.webglCounts[0]);
      for (let i = 0; i < 4; i++)
        expect(Math.abs(r.webgl[i] - r.cpu[i]), `${r.name} step ${i}`).toBeLessThan(1e-4);
    }
  });

  it('the networks train on webgl: loss falls, and matches cpu after each of 3 steps to 1e-4', () => {
    expect(results.float32).toBe(true);
    expect(results.training.map((t) => t.name)).toEqual([
      'MLP',
      'MNIST convnet',
      'BatchNorm + DepthwiseConv2D + AveragePooling2D',
      'SeparableConv2D + Conv2DTranspose',
    ]);
    for (const t of results.training) {
      expect(t.leaked, t.name).toBe(0);
      expect(t.webgl[3], t.name).toBeLessThan(t.webgl[0]);
      for (let i = 0; i < 4; i++)
        expect(Math.abs(t.webgl[i] - t.cpu[i]), `${t.name} step ${i}`).toBeLessThan(1e-4);
    }
  });
});
