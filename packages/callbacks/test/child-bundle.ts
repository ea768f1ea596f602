/**
 * Bundles a TypeScript child script into one .mjs that plain `node` runs, so tests can start real
 * training processes (and kill them). esbuild comes with vitest (through vite); it is found there.
 * Workspace packages are bundled from source (the 'strata-source' condition); h5wasm stays external.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface EsbuildPlugin {
  name: string;
  setup(build: {
    onResolve(
      options: { filter: RegExp },
      callback: (args: { path: string; resolveDir: string; kind: string; pluginData?: unknown }) => unknown,
    ): void;
    resolve(
      path: string,
      options: { resolveDir: string; kind: string; pluginData?: unknown },
    ): Promise<{ path: string; errors: unknown[] }>;
  }): void;
}

interface Esbuild {
  build(options: Record<string, unknown> & { plugins?: EsbuildPlugin[] }): Promise<unknown>;
}

async function loadEsbuild(): Promise<Esbuild> {
  const here = createRequire(import.meta.url);
  const vitest = realpathSync(here.resolve('vitest/package.json'));
  const vite = realpathSync(createRequire(vitest).resolve('vite/package.json'));
  const entry = createRequire(vite).resolve('esbuild');
  const mod = (await import(pathToFileURL(entry).href)) as Esbuild & { default?: Esbuild };
  return mod.default ?? mod;
}

export async function bundleChild(entry: string, outDir: string): Promise<string> {
  const esbuild = await loadEsbuild();
  const outfile = join(outDir, 'child.mjs');
  const external: EsbuildPlugin = {
    name: 'external-h5wasm',
    setup(build) {
      build.onResolve({ filter: /^h5wasm$/ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        const found = await build.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: 'inner',
        });
        return { path: found.path, external: true };
      });
    },
  };
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['strata-source'],
    mainFields: ['module', 'main'],
    // Registration happens at import time; the packages' sideEffects lists must not drop it here.
    ignoreAnnotations: true,
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    plugins: [external],
  });
  return outfile;
}
