import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

// The Python interop suite, kept out of the default run (it needs a venv with Keras 3):
//   STRATA_INTEROP=1 pnpm vitest run --config packages/io/interop/vitest.config.ts
const conditions = ['strata-source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['node'] } },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['interop/**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('../../../test/setup.ts', import.meta.url))],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
