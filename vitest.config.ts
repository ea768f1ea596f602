import fs from 'node:fs';
import os from 'node:os';
import { defineConfig } from 'vitest/config';

const pkgs = [
  'core',
  'layers',
  'optimizers',
  'losses-metrics',
  'callbacks',
  'backends',
  'io',
  'onnx',
  'datasets',
  'strata',
].filter((p) => fs.existsSync(`packages/${p}/package.json`));
// The files of a package whose tests leave no process-wide state behind share their worker's process: Strata's
// sources and tfjs load once per worker instead of once per file, which took most of a loaded machine's run
// (layers: 110 s isolated, 30-40 s shared, at load 10). test/setup.ts gives each file the same starting state
// (naming counters, registry entries, tfjs flags). These packages' tests select, remove and re-register
// backends, or stand in for the registry's backend entries, so each of their files gets a fresh process.
const isolated = new Set(['core', 'callbacks', 'backends']);
const conditions = ['strata-source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['node'] } },
  test: {
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one test file at a time on a 2-core machine. Most of
    // the slow files wait on another process (Chromium, Python, npm, a child Node), so two run side by side.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      ...pkgs.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: `packages/${name}`,
          isolate: isolated.has(name),
          include: [
            'src/**/*.test.ts',
            'test/**/*.test.ts',
            ...(process.env.STRATA_INTEROP === '1' ? ['interop/**/*.test.ts'] : []),
          ],
          setupFiles: [new URL('./test/setup.ts', import.meta.url).pathname],
        },
      })),
      {
        extends: true as const,
        test: {
          name: 'plugin-acme',
          root: 'examples/plugin-acme',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          setupFiles: [new URL('./test/setup.ts', import.meta.url).pathname],
        },
      },
      ...['custom-loop', 'vae'].map((name) => ({
        extends: true as const,
        test: {
          name: `example-${name}`,
          root: `examples/${name}`,
          include: ['test/**/*.test.ts'],
          setupFiles: [new URL('./test/setup.ts', import.meta.url).pathname],
        },
      })),
      {
        extends: true as const,
        test: {
          // The web demo in headless Chromium: see apps/demo/test/web-demo.test.ts.
          name: 'demo',
          root: 'apps/demo',
          include: ['test/**/*.test.ts'],
        },
      },
      {
        extends: true as const,
        test: {
          // Builds, packs and installs the packages outside the workspace: see test/packaging/.
          name: 'packaging',
          root: 'test/packaging',
          include: ['**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
