/**
 * The web demo end to end, in headless Chromium: build the page with Vite, serve it, train on WebGL
 * (SwiftShader, a software GPU, so the run is small), predict a drawn digit, save to IndexedDB, reload
 * the page, load the model back and get the same prediction; the same again through a downloaded and
 * re-uploaded .keras file. Leaves a screenshot for the README.
 */

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH, headlessChromiumOptions } from '@strata/core/testing';

import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const demoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(demoRoot, '../..');
const outputDir = join(demoRoot, 'test-output');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/** Serves a folder on 127.0.0.1 at a free port; enough for a static build. */
function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** Waits until the page has settled (data-state idle or error) and fails with its status if it errored. */
async function settled(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = document.body.dataset.state;
      return s === 'idle' || s === 'error';
    },
    undefined,
    { timeout, polling: 250 },
  );
  const state = await page.getAttribute('body', 'data-state');
  const status = await page.textContent('#status');
  expect(state, `page status: ${status}`).toBe('idle');
}

/** Draws a "7" on the pad with the mouse: a top bar, then a diagonal down to the left. */
async function drawSeven(page: Page): Promise<void> {
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = (await page.locator('#pad').boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(0.25, 0.2));
  await page.mouse.down();
  await page.mouse.move(...at(0.75, 0.2), { steps: 8 });
  await page.mouse.move(...at(0.42, 0.85), { steps: 12 });
  await page.mouse.up();
}

async function readPrediction(page: Page): Promise<{ digit: string; probs: number[] }> {
  await page.waitForFunction(
    () => document.getElementById('prediction')?.dataset.probs || document.body.dataset.state === 'error',
    undefined,
    { timeout: 30_000 },
  );
  expect(
    await page.getAttribute('body', 'data-state'),
    `page status: ${await page.textContent('#status')}`,
  ).toBe('idle');
  // Let the last stroke's frame fire, then wait for every queued prediction to finish.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  await page.waitForFunction(
    () => document.getElementById('prediction')?.dataset.pending === '0',
    undefined,
    {
      timeout: 30_000,
    },
  );
  expect(await page.getAttribute('body', 'data-state')).toBe('idle');
  return page.evaluate(() => {
    const el = document.getElementById('prediction')!;
    return { digit: el.textContent ?? '', probs: JSON.parse(el.dataset.probs ?? '[]') as number[] };
  });
}

const haveChromium = existsSync(CHROMIUM_PATH);
if (!haveChromium)
  console.warn(`Skipping the web demo test: ${CHROMIUM_PATH} is not installed (apt-get install chromium).`);

describe.skipIf(!haveChromium)('web demo in headless Chromium (WebGL on SwiftShader)', () => {
  let server: Server;
  let context: BrowserContext;
  let baseUrl: string;
  let distDir: string;
  let profileDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    distDir = mkdtempSync(join(tmpdir(), 'strata-web-demo-dist-'));
    profileDir = mkdtempSync(join(tmpdir(), 'strata-web-demo-profile-'));
    await build({
      configFile: join(demoRoot, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: distDir, emptyOutDir: true },
    });
    server = await serve(distDir);
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // A persistent context is how Playwright takes a fresh --user-data-dir; IndexedDB lives there.
    context = await chromium.launchPersistentContext(profileDir, {
      ...headlessChromiumOptions(),
      viewport: { width: 1200, height: 1000 },
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
    for (const dir of [distDir, profileDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('trains on webgl, predicts a drawn digit, and predicts the same after saving, reloading and loading', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });

    await page.goto(baseUrl);
    await settled(page, 90_000);
    expect(await page.textContent('#active-backend')).toBe('webgl');
    expect(await page.textContent('#summary')).toContain('Total params: 669,706');

    // One epoch of the MLP on 4,000 digits (3,600 to learn from, 400 to validate), in batches of 32.
    expect(await page.inputValue('#model-select')).toBe('mlp');
    await page.fill('#train-samples', '4000');
    await page.fill('#epochs', '1');
    await page.fill('#batch-size', '32');
    await page.click('#train');
    await page.waitForFunction(() => document.body.dataset.state === 'training', undefined, {
      timeout: 10_000,
    });
    await settled(page, 150_000);
    const valAccuracy = Number(await page.textContent('#val-accuracy'));
    expect(valAccuracy).toBeGreaterThanOrEqual(0.85);

    await drawSeven(page);
    const before = await readPrediction(page);
    expect(before.probs).toHaveLength(10);
    expect(before.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(before.digit).toBe(String(before.probs.indexOf(Math.max(...before.probs))));

    mkdirSync(outputDir, { recursive: true });
    // Screenshots are outputs, not sources.
    writeFileSync(join(outputDir, '.gitignore'), '*\n');
    const shot = join(outputDir, 'web-demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    // The README's screenshot is refreshed on request only, so a test run leaves the tree as it was.
    if (process.env.STRATA_UPDATE_DOCS === '1') {
      mkdirSync(join(repoRoot, 'docs'), { recursive: true });
      copyFileSync(shot, join(repoRoot, 'docs', 'web-demo.png'));
    }

    await page.click('#save-idb');
    await settled(page, 30_000);
    expect(await page.textContent('#status')).toContain('Saved to indexeddb://strata-mnist-demo');

    await page.reload();
    await settled(page, 90_000);
    expect(await page.textContent('#active-backend')).toBe('webgl');
    await page.click('#load-idb');
    await settled(page, 30_000);
    await drawSeven(page);
    const after = await readPrediction(page);
    expect(after.digit).toBe(before.digit);
    for (let i = 0; i < 10; i++) expect(after.probs[i]).toBeCloseTo(before.probs[i], 4);

    // Download the .keras file and upload it again: the same digit, the same probabilities.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('mnist.keras');
    const kerasFile = join(outputDir, 'mnist.keras');
    await download.saveAs(kerasFile);
    await settled(page, 30_000);
    expect(readFileSync(kerasFile).subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    await page.setInputFiles('#upload', kerasFile);
    await settled(page, 30_000);
    expect(await page.textContent('#status')).toContain('Loaded mnist_mlp from mnist.keras');
    const uploaded = await readPrediction(page);
    expect(uploaded.digit).toBe(before.digit);
    for (let i = 0; i < 10; i++) expect(uploaded.probs[i]).toBeCloseTo(before.probs[i], 4);

    expect(pageErrors).toEqual([]);
  }, 300_000);
});
