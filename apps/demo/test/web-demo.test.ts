/**
 * The web demo end to end, in headless Chromium: build the page with Vite, serve it, train in a Web Worker
 * on WebGL (an OffscreenCanvas on SwiftShader, a software GPU, so the run is small) while the page stays
 * free: no long task on the main thread during an epoch, curves that grow, a drawn digit predicted while
 * training runs, a save to IndexedDB during training, and a stop that takes effect within one batch. Then
 * reload the page, load the saved model and get the prediction the worker gave when it saved; the same
 * again through a downloaded and re-uploaded .keras file; and a worker that crashes, after which the page
 * starts a new one. Leaves a screenshot for the README.
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

  it('trains in a worker without long tasks on the page, predicts and saves while training, stops within a batch, and reloads the saved model', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });

    await page.goto(baseUrl);
    await settled(page, 90_000);
    expect(await page.textContent('#active-backend')).toBe('webgl');
    expect(await page.textContent('#summary')).toContain('Trainable params: 669,706');
    expect(await page.inputValue('#model-select')).toBe('mlp');
    await drawSeven(page);
    await readPrediction(page);

    // Every task longer than 50 ms on the page's main thread, from here on.
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: { start: number; duration: number }[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask' });
    });

    // The MLP on 4,000 digits (3,600 to learn from, 400 to validate), in batches of 32: 113 per epoch.
    await page.fill('#train-samples', '4000');
    await page.fill('#epochs', '3');
    await page.fill('#batch-size', '32');
    await page.click('#train');
    await page.waitForFunction(() => document.body.dataset.state === 'training', undefined, {
      timeout: 10_000,
    });
    const points = () =>
      page.evaluate(() => Number(document.getElementById('loss-chart')!.dataset.points ?? 0));
    // While an epoch is measured, the test itself polls the page rarely: every poll is a task on the
    // page's main thread (and Playwright's default polls on every animation frame).
    await page.waitForFunction(
      () => Number(document.getElementById('loss-chart')!.dataset.points ?? 0) >= 3,
      undefined,
      { timeout: 120_000, polling: 1000 },
    );
    const early = await points();

    // The first epoch runs with nothing else to do on the page but show its progress; then, in the
    // second, the page is used while the worker trains.
    await page.waitForFunction(
      () => performance.getEntriesByName('strata-epoch-end').length >= 1,
      undefined,
      { timeout: 240_000, polling: 1000 },
    );
    expect(await points()).toBeGreaterThan(early);
    const firstEpoch = await page.evaluate(() => {
      const begin = performance.getEntriesByName('strata-epoch-begin')[0].startTime;
      const end = performance.getEntriesByName('strata-epoch-end')[0].startTime;
      const w = window as unknown as { longTasks: { start: number; duration: number }[] };
      return {
        begin,
        end,
        longTasks: w.longTasks.filter((t) => t.start + t.duration >= begin && t.start <= end),
      };
    });
    expect(firstEpoch.end).toBeGreaterThan(firstEpoch.begin);
    // Training on the page would block it for the whole epoch (every one of its 113 batches is a task of
    // the page). In a worker the page stays free; but on a machine shared with other jobs the scheduler
    // stretches some of the page's short tasks past the 50 ms that make a "long task": one of 50 ms in a
    // rehearsal with two test runs on 2 cores, two of 118 and 289 ms in another (load ~10, a 2026-12-08
    // rehearsal). So the check is the share of the epoch the page was blocked: under a quarter, where
    // training on the page blocks nearly all of it.
    const blockedMs = firstEpoch.longTasks.reduce((sum, t) => sum + t.duration, 0);
    expect(blockedMs / (firstEpoch.end - firstEpoch.begin), JSON.stringify(firstEpoch)).toBeLessThan(0.25);

    // The pad predicts while the worker trains: the answer comes back before training ends.
    await page.evaluate(() => {
      document.getElementById('prediction')!.dataset.duringTraining = '';
    });
    await page.click('#clear');
    await drawSeven(page);
    await page.waitForFunction(
      () => document.getElementById('prediction')!.dataset.duringTraining !== '',
      undefined,
      {
        timeout: 60_000,
      },
    );
    expect(await page.getAttribute('#prediction', 'data-during-training')).toBe('true');
    expect(await page.getAttribute('body', 'data-state')).toBe('training');

    // Saved during training, with the worker's prediction of the drawing at that moment.
    await page.click('#save-idb');
    await page.waitForFunction(() => document.getElementById('saved-note')!.dataset.probs, undefined, {
      timeout: 60_000,
    });
    expect(await page.textContent('#status')).toContain(
      'Saved to indexeddb://strata-mnist-demo while training',
    );
    const saved = JSON.parse((await page.getAttribute('#saved-note', 'data-probs'))!) as number[];
    expect(saved).toHaveLength(10);
    expect(await page.getAttribute('body', 'data-state')).toBe('training');

    await page.click('#stop');
    await settled(page, 120_000);
    expect(await page.textContent('#status')).toMatch(/^Stopped during epoch [23] in /);
    // No batch after the worker took the stop (Keras checks the flag after every batch).
    expect(Number(await page.getAttribute('body', 'data-batches-after-stop'))).toBeLessThanOrEqual(1);
    expect(Number(await page.textContent('#val-accuracy'))).toBeGreaterThanOrEqual(0.85);

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

    // The curves are drawn in a worker; the page forwards the pointer, so the loss chart shows a tooltip
    // of the nearest point, and hides it when the pointer leaves.
    const tooltip = () => page.getAttribute('#loss-chart', 'data-tooltip');
    const box = (await page.locator('#loss-chart').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 4 });
    await page.waitForFunction(() => document.getElementById('loss-chart')!.dataset.tooltip, undefined, {
      timeout: 30_000,
    });
    expect(await tooltip()).toMatch(/(training|validation): \d/);
    await page.mouse.move(box.x - 10, box.y - 10);
    await page.waitForFunction(
      () => document.getElementById('loss-chart')!.dataset.tooltip === '',
      undefined,
      {
        timeout: 30_000,
      },
    );

    // Reload: the model saved mid-training loads on the page and in the worker, and both predict what the
    // worker predicted when it saved.
    await page.reload();
    await settled(page, 90_000);
    expect(await page.textContent('#active-backend')).toBe('webgl');
    await drawSeven(page);
    await readPrediction(page);
    await page.click('#load-idb');
    await settled(page, 30_000);
    const loadedHere = JSON.parse((await page.getAttribute('#saved-note', 'data-loaded-probs'))!) as number[];
    const after = await readPrediction(page);
    for (let i = 0; i < 10; i++) {
      expect(loadedHere[i]).toBeCloseTo(saved[i], 4);
      expect(after.probs[i]).toBeCloseTo(saved[i], 4);
    }

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
    expect(uploaded.digit).toBe(after.digit);
    for (let i = 0; i < 10; i++) expect(uploaded.probs[i]).toBeCloseTo(after.probs[i], 4);

    // The worker crashes: the page says so, starts a new worker, and predicts again.
    // The training worker, not the chart worker.
    const worker = page.workers().find((w) => w.url().includes('train-worker'));
    expect(
      worker,
      page
        .workers()
        .map((w) => w.url())
        .join(', '),
    ).toBeDefined();
    await worker!.evaluate(() => {
      setTimeout(() => {
        throw new Error('test crash');
      }, 0);
    });
    await page.waitForFunction(
      () => document.getElementById('status')!.textContent!.includes('A new worker started'),
      undefined,
      {
        timeout: 60_000,
      },
    );
    await settled(page, 60_000);
    expect(await page.textContent('#status')).toMatch(/^The worker crashed: Uncaught Error: test crash/);
    const again = await readPrediction(page);
    expect(again.probs).toHaveLength(10);

    // WebGPU asked for where the worker has no adapter (this Chromium runs without WebGPU flags): the
    // worker's setBackend fails with its RuntimeError, and the page says so and goes on with wasm.
    await page.goto(`${baseUrl}?backend=webgpu`);
    await settled(page, 90_000);
    expect(await page.textContent('#status')).toContain(
      "(webgpu failed: Backend 'webgpu' failed to initialise: ",
    );
    expect(await page.textContent('#active-backend')).toBe('wasm');

    expect(pageErrors.filter((e) => !e.includes('test crash'))).toEqual([]);
  }, 300_000);
});
