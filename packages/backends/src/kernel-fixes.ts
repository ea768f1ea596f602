import { RuntimeError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * A kernel a Strata backend entry adds to, or puts in place of, one of its tfjs backend's kernels.
 * - `fill`: registered only when the backend lacks the kernel (a missing training kernel).
 * - `wrap`: replaces the backend's kernel; `create` receives the original to delegate to (a slow path).
 * - `replace`: registered in place of the backend's kernel, or alone if it has none (a wrong result).
 */
export interface KernelFix {
  kernelName: string;
  backendName: string;
  mode: 'fill' | 'wrap' | 'replace';
  create(original: tf.KernelConfig | undefined): tf.KernelConfig;
}

interface Installed {
  fix: KernelFix;
  config: tf.KernelConfig;
  original: tf.KernelConfig | undefined;
}

// On globalThis, like core's registry and tfjs's kernel registry, so a second copy of this package
// sees what the first installed instead of wrapping a wrapper.
const INSTALLED_KEY = Symbol.for('strata.backends.installedKernelFixes');
const installed: Map<string, Installed> = ((globalThis as unknown as Record<symbol, Map<string, Installed>>)[
  INSTALLED_KEY
] ??= new Map());

const keyOf = (kernelName: string, backendName: string) => `${backendName}:${kernelName}`;

/**
 * Registers kernel fixes with tfjs's kernel registry. Installing a fix that is already installed does
 * nothing. Returns the kernel names that were (newly) registered.
 */
export function installKernelFixes(fixes: readonly KernelFix[]): string[] {
  const done: string[] = [];
  for (const fix of fixes) {
    const key = keyOf(fix.kernelName, fix.backendName);
    if (installed.has(key)) continue;
    const original = tf.getKernel(fix.kernelName, fix.backendName) ?? undefined;
    if (fix.mode === 'fill' && original) continue;
    if (fix.mode === 'wrap' && !original) {
      throw new RuntimeError(
        `Cannot wrap kernel '${fix.kernelName}' for backend '${fix.backendName}': the backend does not register it.`,
      );
    }
    const config = fix.create(original);
    // The wrapped kernel's setup (e.g. wasm's cwrap of the C++ function) still has to run when the
    // backend initialises after this point; the replacement carries it over.
    if (original?.setupFunc && !config.setupFunc) config.setupFunc = original.setupFunc;
    if (original?.disposeFunc && !config.disposeFunc) config.disposeFunc = original.disposeFunc;
    if (original) tf.unregisterKernel(fix.kernelName, fix.backendName);
    tf.registerKernel(config);
    installed.set(key, { fix, config, original });
    done.push(fix.kernelName);
  }
  return done;
}

/** Undoes `installKernelFixes` for one backend (or all): restores the tfjs kernels as they were. */
export function removeKernelFixes(backendName?: string): string[] {
  const done: string[] = [];
  for (const [key, entry] of [...installed]) {
    if (backendName != null && entry.fix.backendName !== backendName) continue;
    const { kernelName } = entry.fix;
    if (tf.getKernel(kernelName, entry.fix.backendName) === entry.config) {
      tf.unregisterKernel(kernelName, entry.fix.backendName);
      if (entry.original) tf.registerKernel(entry.original);
    }
    installed.delete(key);
    done.push(kernelName);
  }
  return done;
}

/** The kernel names Strata has installed for a backend. */
export function installedKernelFixes(backendName: string): string[] {
  return [...installed.values()]
    .filter((e) => e.fix.backendName === backendName)
    .map((e) => e.fix.kernelName);
}
