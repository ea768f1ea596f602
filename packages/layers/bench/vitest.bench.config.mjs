// Runs packages/layers/bench/*.test.ts, which the workspace config leaves out of the default run.
const conditions = ['strata-source', 'node', 'import', 'module', 'default'];

export default {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['node'] } },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['bench/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 600_000,
  },
};
