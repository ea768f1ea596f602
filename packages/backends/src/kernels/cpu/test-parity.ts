/** Shared by the cpu kernel tests: Strata's cpu kernel against tfjs-backend-cpu's own, same inputs. */
import { expect } from 'vitest';

import '../../cpu.js';
import { installKernelFixes, removeKernelFixes } from '../../kernel-fixes.js';
import { type KernelInput, runKernelOn } from '../wasm/test-parity.js';
import { cpuKernelFixes } from './index.js';

/**
 * `run()`'s result with tfjs-backend-cpu's own kernels in place of Strata's cpu kernels, which are put back
 * afterwards (also when `run` throws).
 */
export async function onTfjsCpuKernels<T>(run: () => T | Promise<T>): Promise<T> {
  removeKernelFixes('cpu');
  try {
    return await run();
  } finally {
    installKernelFixes(cpuKernelFixes);
  }
}

/**
 * Runs the kernel with Strata's cpu kernels (or on `backendName`, a backend on the cpu backend's storage), then with tfjs-backend-cpu's own, and compares: a number is
 * a tolerance relative to the reference's largest magnitude (at least 1; tfjs sums in float32 in places,
 * Strata in double per block), `{ atol }` an absolute one. `runKernelOn` fails the run if the kernel leaves
 * anything but its output behind.
 */
export async function expectMatchesTfjsCpu(
  kernelName: string,
  inputs: Record<string, KernelInput>,
  attrs: Record<string, unknown>,
  tolerance: number | { atol: number } = 1e-5,
  backendName = 'cpu',
): Promise<void> {
  const ours = await runKernelOn(backendName, kernelName, inputs, attrs);
  const theirs = await onTfjsCpuKernels(() => runKernelOn('cpu', kernelName, inputs, attrs));
  expect(ours.shape).toEqual(theirs.shape);
  const scale = theirs.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  // A kernel returning zeros would pass against a zero reference; the random cases never give one.
  expect(scale).toBeGreaterThan(0);
  let worst = 0;
  for (let i = 0; i < theirs.values.length; i++) {
    const d = Math.abs(theirs.values[i] - ours.values[i]);
    worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
  }
  expect(worst).toBeLessThanOrEqual(
    typeof tolerance === 'number' ? tolerance * Math.max(1, scale) : tolerance.atol,
  );
}
