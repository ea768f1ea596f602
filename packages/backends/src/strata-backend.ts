import { type BackendDescription, type RegisterOptions, registry, ValueError } from '@strata/core';

import { installKernelFixes, type KernelFix } from './kernel-fixes.js';

/**
 * A tfjs backend as Strata knows it: what `setBackend(name)` selects and how to get it ready, and what the
 * trainer reads from it (core's `BackendDescription`: host memory, step compilers).
 * Register one with `registerBackend`; `@strata/backends/cpu`, `/wasm`, `/webgl` and `/webgpu` each do so.
 */
export interface StrataBackend extends BackendDescription {
  /** The tfjs backend name (`tf.setBackend(name)`), also the name `setBackend` takes. */
  name: string;
  /** Higher wins when `setBackend('auto')` chooses (built-ins: webgpu 4, webgl 3, native 2.5, wasm 2, cpu 1). */
  priority: number;
  /** The npm package that provides the tfjs backend; named in errors. */
  tfjsPackage?: string;
  /** Whether 'auto' should use the backend here (e.g. WebGL2 exists); 'auto' skips it when false. */
  isSupported?(): boolean | Promise<boolean>;
  /**
   * Gets the tfjs backend ready before `tf.setBackend(name)` (wasm file paths, thread count, a
   * context check). Throw with a clear message when it cannot work here.
   */
  init(): Promise<void>;
  /** Kernels to add to (or put in place of) the tfjs backend's own; installed on registration. */
  kernelFixes?: readonly KernelFix[];
}

/** Options of `registerBackend`: the module to name in messages, and whether to replace an existing entry. */
export interface RegisterBackendOptions extends Pick<RegisterOptions, 'module' | 'override'> {}

/**
 * Registers a Strata backend entry (registry kind 'backend') and installs its kernel fixes. A third
 * party adds a tfjs backend this way; add its name to `BackendIds` by declaration merging so
 * `setBackend('name')` type-checks.
 */
export function registerBackend(backend: StrataBackend, options: RegisterBackendOptions = {}): StrataBackend {
  if (backend == null || typeof backend !== 'object') {
    throw new ValueError(`registerBackend expects a backend entry object. Received: ${String(backend)}`);
  }
  if (typeof backend.name !== 'string' || backend.name === '' || backend.name === 'auto') {
    throw new ValueError(
      `A backend needs a non-empty name other than 'auto' (the tfjs backend name). Received: name=${JSON.stringify(backend.name)}`,
    );
  }
  if (typeof backend.priority !== 'number' || !Number.isFinite(backend.priority)) {
    throw new ValueError(
      `Backend '${backend.name}' needs a finite numeric priority. Received: priority=${backend.priority}`,
    );
  }
  if (typeof backend.init !== 'function') {
    throw new ValueError(
      `Backend '${backend.name}' needs an init(): Promise<void> function. Received: init=${backend.init}`,
    );
  }
  if (backend.kernelFixes) installKernelFixes(backend.kernelFixes);
  registry.register('backend', backend.name, backend, { module: options.module, override: options.override });
  return backend;
}

/** The registered entry for `name`, if any. */
export function findBackend(name: string): StrataBackend | undefined {
  return registry.find<StrataBackend>('backend', name)?.value;
}

/** The names of the registered Strata backends, highest priority first. */
export function listBackends(): string[] {
  return registry
    .list('backend')
    .map((name) => registry.get<StrataBackend>('backend', name))
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))
    .map((b) => b.name);
}
