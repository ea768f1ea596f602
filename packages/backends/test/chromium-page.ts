/**
 * What the browser tests share: bundle a test page from this package's source with esbuild, serve it on
 * 127.0.0.1 (a secure context, which WebGPU needs), open it in Debian's headless /usr/bin/chromium through
 * playwright-core, and call the page's `runChecks()`. Never downloads a browser.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH, headlessChromiumOptions } from '@strata/core/testing';

export const CHROMIUM = CHROMIUM_PATH;
export const hasChromium = fs.existsSync(CHROMIUM);

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '..');
const sources: Record<string, string> = {
  '': 'index.ts',
  '/cpu': 'cpu.ts',
  '/wasm': 'wasm.ts',
  '/webgl': 'webgl.ts',
  '/webgpu': 'webgpu.ts',
};

async function bundlePage(entry: string): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(here, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['strata-source'],
    logLevel: 'silent',
    plugins: [
      {
        // This package's own subpaths, from source (a package cannot install itself).
        name: 'strata-backends-self',
        setup(build) {
          build.onResolve({ filter: /^@strata\/backends(\/(cpu|wasm|webgl|webgpu))?$/ }, (args) => ({
            path: path.join(packageRoot, 'src', sources[args.path.slice('@strata/backends'.length)]),
          }));
        },
      },
      {
        // Node's modules, behind code a browser never runs (@strata/io's file targets): empty stand-ins.
        name: 'node-builtins-empty',
        setup(build) {
          build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-empty' }));
          build.onLoad({ filter: /.*/, namespace: 'node-empty' }, () => ({
            contents: 'module.exports = {};',
          }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/** An open test page; `close` shuts the browser and the server and removes the profile. */
export interface ChromiumPage {
  run<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

/**
 * What the test server adds: headers on every answer, files (URL path → file on disk), and more scripts
 * (URL path → entry relative to test/, bundled like the page: a worker's script).
 */
export interface ServeOptions {
  headers?: Record<string, string>;
  files?: Record<string, string>;
  scripts?: Record<string, string>;
}

/** The headers that make a page cross-origin isolated (so it has SharedArrayBuffer). */
export const CROSS_ORIGIN_ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/** tfjs-backend-wasm's binaries, served under /wasm/ (a page then calls `setWasmPaths('/wasm/')`). */
export function tfjsWasmFiles(): Record<string, string> {
  const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  const names = [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ];
  return Object.fromEntries(names.map((name) => [`/wasm/${name}`, path.join(path.dirname(main), name)]));
}

/**
 * Bundles `entry` (relative to test/), serves it and opens it in Chromium with `extraArgs`; resolves once
 * the page has defined `runChecks`.
 */
export async function openChromiumPage(
  entry: string,
  extraArgs: string[] = [],
  serveOptions: ServeOptions = {},
): Promise<ChromiumPage> {
  const { headers = {}, files = {}, scripts = {} } = serveOptions;
  const bundles: Record<string, string> = { '/page.js': await bundlePage(entry) };
  for (const [url, scriptEntry] of Object.entries(scripts)) bundles[url] = await bundlePage(scriptEntry);
  const server = http.createServer((req, res) => {
    // Anything else (favicon.ico) is a 404.
    if (req.url != null && bundles[req.url] != null) {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(bundles[req.url]);
    } else if (req.url === '/') {
      res
        .writeHead(200, { ...headers, 'content-type': 'text/html' })
        .end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
    } else if (req.url != null && files[req.url] != null) {
      const type = req.url.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
      res.writeHead(200, { ...headers, 'content-type': type }).end(fs.readFileSync(files[req.url]));
    } else {
      res.writeHead(404, headers).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-chromium-'));
  const close = async (context?: { close(): Promise<void> }) => {
    await context?.close();
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(profile, { recursive: true, force: true });
  };
  const { chromium } = await import('playwright-core');
  const context = await chromium
    .launchPersistentContext(profile, {
      ...headlessChromiumOptions(),
      args: [...headlessChromiumOptions().args, ...extraArgs],
    })
    .catch(async (err) => {
      await close();
      throw err;
    });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'runChecks' in globalThis, undefined, { timeout: 30_000 });
  } catch {
    await close(context);
    throw new Error(`The test page did not load: ${errors.join('; ') || 'no error reported'}`);
  }
  return {
    run: (expression) => page.evaluate(expression),
    close: () => close(context),
  };
}
