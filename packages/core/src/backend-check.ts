import * as tf from '@tensorflow/tfjs-core';

import { RuntimeError } from './errors.js';
import { activeBackendDescription } from './step-compiler.js';

/**
 * Where the active tfjs backend keeps tensor values, as its plug-in description (registry kind 'backend')
 * says: `'host'` (the JS heap or wasm's memory: reading values is a copy), `'device'` (reading waits for a
 * GPU), or `'unknown'` where no plug-in describes the backend (a tfjs backend used without
 * `@strata/backends`). Callers choose per use what `'unknown'` means: a speed-up is taken only on `'host'`,
 * while a check that reads values is skipped only on `'device'`.
 */
export function activeBackendMemory(): 'host' | 'device' | 'unknown' {
  const entry = activeBackendDescription();
  if (!entry) return 'unknown';
  return entry.hostMemory === true ? 'host' : 'device';
}

/**
 * Fails with a Strata error when no tfjs backend is registered at all, before the first tensor is made.
 * Without this the user meets tfjs's bare "No backend found in registry.", which names neither the
 * package to import nor `setBackend`. Core cannot pick a default itself: it never imports a backend
 * package (the `strata` umbrella does, registering the CPU backend).
 */
export function assertBackendRegistered(what: string): void {
  if (Object.keys(tf.engine().registryFactory).length > 0) return;
  throw new RuntimeError(
    `No TensorFlow.js backend is registered, so ${what} cannot run. Import a backend before using Strata: ` +
      `\`import '@strata/backends/cpu'\` (or '@strata/backends/wasm', '@strata/backends/webgl', '@strata/backends/webgpu'), or call ` +
      `\`await setBackend('auto')\` from '@strata/backends'; importing 'strata' registers the CPU backend for you.`,
  );
}
