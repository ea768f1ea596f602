/**
 * `import '@strata/backends/cpu'` registers tfjs's plain-JavaScript backend with Strata: slow, but runs
 * anywhere.
 *
 * @module @strata/backends/cpu
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

import { cpuDescription } from './builtin-backends.js';
import { cpuKernelFixes } from './kernels/cpu/index.js';
import { installOutputPool } from './kernels/cpu/output-pool.js';
import { registerBackend } from './strata-backend.js';

/**
 * tfjs's CPU backend prints a banner telling Node users to install tfjs-node, on the first tensor it
 * writes (guarded by a `firstUse` flag on the backend instance). Strata runs its own kernels and does not
 * use tfjs-node, so that advice is wrong for a Strata user. Clearing the flag on the instance silences
 * that one banner only: tfjs's `PROD`/`IS_TEST` flags would also hide every other tfjs warning, and
 * patching `console.warn` would hide the user's own.
 */
export function silenceTfjsNodeBanner(): void {
  // findBackend creates the instance if tfjs has not yet; the CPU backend initialises synchronously.
  const instance = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (instance && 'firstUse' in instance) instance.firstUse = false;
}

/** Readies tfjs's cpu backend instance for Strata: no tfjs-node banner, and kernel outputs reused. */
function prepareCpuBackend(): void {
  silenceTfjsNodeBanner();
  const instance = tf.findBackend('cpu');
  if (instance) installOutputPool(instance);
}

prepareCpuBackend();

/** Strata's entry for tfjs's CPU backend, registered by importing `@strata/backends/cpu`. */
export const cpuBackend = registerBackend(
  {
    ...cpuDescription,
    // Again here: tfjs makes a new instance after `tf.removeBackend('cpu')` and re-registration.
    async init() {
      prepareCpuBackend();
    },
    kernelFixes: cpuKernelFixes,
  },
  { module: cpuDescription.entry, override: true },
);
