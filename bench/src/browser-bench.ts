/**
 * What the browser benches share (webgl.ts for WebGL/WebGPU, wasm-threads.ts for threaded WebAssembly):
 * the page bundle, the initial weights and data files it fetches, a local server, and one case run in a
 * fresh browser context.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { Browser } from 'playwright-core';

import { loadDigits, type ModelKind } from './data.js';
import { buildStrata } from './models.js';
import type { PageSpec } from './webgl-page.js';
import { packWeights } from './weights-and-score.js';

const here = dirname(fileURLToPath(import.meta.url));
export const benchDir = join(here, '..');

export interface ServedFile {
  type: string;
  body: Buffer | string;
}

export async function bundlePage(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(here, 'webgl-page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['strata-source'],
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}

async function initialWeights(kind: ModelKind): Promise<{ shapes: number[][]; bin: Buffer }> {
  const ws = buildStrata(kind).getWeights();
  const { shapes, values } = packWeights(ws);
  tf.dispose(ws);
  return { shapes, bin: Buffer.from(values.buffer) };
}

/** The training digits, then the test digits, as the page reads them from /data.bin. */
export function dataFile(samples: number, testSamples: number): Buffer {
  const train = loadDigits('train', samples);
  const test = loadDigits('test', testSamples);
  return Buffer.concat(
    [train.images, train.labels, test.images, test.labels].map((a) =>
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    ),
  );
}

/** The page, its script and each model's initial weights (the cpu backend must be active). */
export async function pageFiles(models: ModelKind[]): Promise<Map<string, ServedFile>> {
  const files = new Map<string, ServedFile>();
  files.set('/', {
    type: 'text/html',
    body: '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>',
  });
  files.set('/page.js', { type: 'text/javascript', body: await bundlePage() });
  for (const kind of models) {
    const w = await initialWeights(kind);
    files.set(`/weights-${kind}.json`, {
      type: 'application/json',
      body: JSON.stringify({ shapes: w.shapes }),
    });
    files.set(`/weights-${kind}.bin`, { type: 'application/octet-stream', body: w.bin });
  }
  return files;
}

/** tfjs-backend-wasm's three binaries, served under /wasm/ (the page calls `setWasmPaths('/wasm/')`). */
export function wasmFiles(files: Map<string, ServedFile>): void {
  const { createRequire } = process.getBuiltinModule('node:module');
  const folder = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  for (const name of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]) {
    files.set(`/wasm/${name}`, { type: 'application/wasm', body: readFileSync(join(folder, name)) });
  }
}

/**
 * Serves `files` and whatever `data()` holds at /data.bin on 127.0.0.1, with `headers` on every answer
 * (COOP/COEP for a cross-origin isolated page). Resolves to the server and its URL.
 */
export async function serve(
  files: Map<string, ServedFile>,
  data: () => Buffer,
  headers: OutgoingHttpHeaders = {},
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const f =
      req.url === '/data.bin' ? { type: 'application/octet-stream', body: data() } : files.get(req.url ?? '');
    if (!f) res.writeHead(404, headers).end();
    else res.writeHead(200, { ...headers, 'content-type': f.type }).end(f.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

/** Runs one case in a fresh context of `browser`; a failure comes back as the spec with an `error`. */
export async function runPageCase(
  browser: Browser,
  url: string,
  spec: PageSpec,
): Promise<Record<string, unknown>> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'runCase' in globalThis, undefined, { timeout: 60_000 });
    return (await page.evaluate(
      (s) => (globalThis as unknown as { runCase: (s: unknown) => Promise<unknown> }).runCase(s),
      spec,
    )) as Record<string, unknown>;
  } catch (e) {
    return { ...spec, error: `${(e as Error).message.split('\n')[0]} ${errors.join('; ')}` };
  } finally {
    await context.close();
  }
}

/** Puts `text` between bench/README.md's `<!-- name:start -->` and `<!-- name:end -->` markers, if present. */
export function replaceReadmeSection(name: string, text: string): void {
  const readme = join(benchDir, 'README.md');
  const start = `<!-- ${name}:start -->`;
  const all = readFileSync(readme, 'utf8');
  const a = all.indexOf(start);
  const b = all.indexOf(`<!-- ${name}:end -->`);
  if (a >= 0 && b > a)
    writeFileSync(readme, `${all.slice(0, a + start.length)}\n\n${text}\n\n${all.slice(b)}`);
}

/** A table cell: `v` with `digits` decimals and thousands separators, or '–' when it is not a number. */
export function fmt(v: unknown, digits = 0): string {
  return typeof v === 'number'
    ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
}

/**
 * onnxruntime-web's WebAssembly build (its threaded SIMD binary and loader) under /ort/, the one-node models
 * of bench/ort-models under /ort-models/, and /ort.html, whose `timeOrt(threads)` times them.
 */
export function ortFiles(files: Map<string, ServedFile>): void {
  const { createRequire } = process.getBuiltinModule('node:module');
  const entry = createRequire(import.meta.url).resolve('onnxruntime-web');
  const dist = entry.slice(0, entry.lastIndexOf('/dist/') + '/dist/'.length);
  for (const name of ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
    const type = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    files.set(`/ort/${name}`, { type, body: readFileSync(join(dist, name)) });
  }
  for (const model of ['gemm', 'conv']) {
    files.set(`/ort-models/${model}.onnx`, {
      type: 'application/octet-stream',
      body: readFileSync(join(benchDir, 'ort-models', `${model}.onnx`)),
    });
  }
  files.set('/ort.html', { type: 'text/html', body: ORT_PAGE });
}

// Median ms of 20 runs (after 3 warm-ups) of each one-node model on random operands.
const ORT_PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as ort from '/ort/ort.wasm.min.mjs';
globalThis.timeOrt = async (threads) => {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = '/ort/';
  const shapes = { gemm: { a: [128, 784], b: [784, 512] }, conv: { x: [128, 32, 13, 13], w: [64, 32, 3, 3] } };
  const out = {};
  for (const [model, inputs] of Object.entries(shapes)) {
    const session = await ort.InferenceSession.create('/ort-models/' + model + '.onnx');
    const feeds = {};
    for (const [name, shape] of Object.entries(inputs)) {
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => Math.random() - 0.5), shape);
    }
    const times = [];
    for (let i = 0; i < 23; i++) {
      const start = performance.now();
      await session.run(feeds);
      if (i >= 3) times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    out[model] = times[times.length >> 1];
    await session.release();
  }
  return out;
};
</script>`;
