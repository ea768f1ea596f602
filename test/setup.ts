// Every Node test file starts on tfjs's CPU backend unless it switches itself.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll } from 'vitest';

await tf.setBackend('cpu');
await tf.ready();

// tfjs's CPU backend tells Node users to install tfjs-node on its first tensor write: once per test process,
// dozens of copies in a run, and advice that does not apply to Strata. Clearing the backend instance's
// first-use flag silences that notice only (tfjs's PROD or IS_TEST flags would hide its other warnings too),
// as `@strata/backends/cpu` does for applications.
const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
if (cpu && 'firstUse' in cpu) cpu.firstUse = false;

// Test files that run on the same Vitest worker share one process (`isolate: false` in vitest.config.ts):
// modules load once, and what one file leaves behind in process-wide state the next one sees. Each file
// starts from the same state as far as a test can tell:
// - Keras's auto-naming counters start again (`dense`, then `dense_1`), as in a fresh process;
// - registry entries that the file removes or replaces are put back after it (entries it adds stay:
//   built-ins registered by a package's first import must, since the package is not loaded again);
// - tfjs's flags that the file sets are put back after it (and each file starts on cpu, above).
type Entry = { key: string };
type RegistryState = { entries: Map<string, Map<string, Entry>> };
const g = globalThis as unknown as Record<symbol, unknown>;
(g[Symbol.for('strata.uids')] as Map<string, number> | undefined)?.clear();
const registryState = g[Symbol.for('strata.registry')] as RegistryState | undefined;
const savedEntries = new Map(
  [...(registryState?.entries ?? [])].map(([kind, table]) => [kind, new Map(table)] as const),
);
const savedFlags = { ...tf.env().getFlags() };
afterAll(() => {
  for (const [kind, saved] of savedEntries) {
    const table = registryState?.entries.get(kind);
    if (table) for (const [name, entry] of saved) table.set(name, entry);
  }
  const flags = tf.env().getFlags();
  for (const name of Object.keys(flags)) {
    if (name in savedFlags && flags[name] !== savedFlags[name]) tf.env().set(name, savedFlags[name]);
  }
});
