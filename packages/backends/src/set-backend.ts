import { type BackendIds, RegistryError, RuntimeError, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { builtinBackends } from './builtin-backends.js';
import { findBackend, listBackends, type StrataBackend } from './strata-backend.js';

/** A backend name `setBackend` accepts: the registered ones (see `BackendIds`) or 'auto'. */
export type BackendName = Extract<keyof BackendIds, string>;

/**
 * Imports a subpath entry by name. The specifier is a variable on purpose: bundlers then leave it
 * alone, so the root entry never drags a tfjs backend package into a bundle; in a browser, import the
 * subpath you use (`import '@strata/backends/webgl'`).
 */
export let importEntry: (specifier: string) => Promise<unknown> = (specifier) =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

/** Replaces the subpath importer (tests simulate a missing tfjs package with it). Returns the previous one. */
export function setEntryImporter(
  fn: (specifier: string) => Promise<unknown>,
): (specifier: string) => Promise<unknown> {
  const previous = importEntry;
  importEntry = fn;
  return previous;
}

class MissingPackageError extends RuntimeError {
  override name = 'MissingPackageError';
}

function isModuleNotFound(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  const message = String(e?.message ?? err);
  if (!message.includes(pkg)) return false;
  return (
    e?.code === 'ERR_MODULE_NOT_FOUND' ||
    e?.code === 'MODULE_NOT_FOUND' ||
    /cannot find (module|package)|failed to (resolve|load)|could not resolve/i.test(message)
  );
}

/** Finds a registered backend, importing its subpath entry first if it is a built-in not yet loaded. */
async function loadBackend(name: string): Promise<StrataBackend | undefined> {
  const found = findBackend(name);
  if (found) return found;
  const builtin = builtinBackends.find((b) => b.name === name);
  if (!builtin) return undefined;
  try {
    await importEntry(builtin.entry);
  } catch (err) {
    if (isModuleNotFound(err, builtin.tfjsPackage)) {
      throw new MissingPackageError(
        `Backend '${name}' needs the package ${builtin.tfjsPackage}: npm install ${builtin.tfjsPackage}`,
      );
    }
    throw new RuntimeError(
      `Backend '${name}' could not be loaded from ${builtin.entry}: ${(err as Error)?.message ?? err}`,
    );
  }
  const loaded = findBackend(name);
  if (!loaded) throw new RuntimeError(`Importing ${builtin.entry} did not register the backend '${name}'.`);
  return loaded;
}

async function activate(backend: StrataBackend): Promise<void> {
  await backend.init();
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend.name);
  } catch (err) {
    throw new RuntimeError(
      `Backend '${backend.name}' failed to initialise: ${(err as Error)?.message ?? err}`,
    );
  }
  if (!ok) {
    throw new RuntimeError(
      `Backend '${backend.name}' failed to initialise (tfjs could not create it; its warning above says why).`,
    );
  }
  await tf.ready();
}

/**
 * Selects the backend every following op runs on, and gets it ready.
 *
 * - A name ('cpu', 'native', 'wasm', 'webgl', 'webgpu', or one a plug-in registered): imports the built-in subpath
 *   if it was not imported yet, then initialises it; failure is an error naming the cause (or the package
 *   to install), and the previous backend stays active. 'webgpu' runs on any WebGPU adapter, a software
 *   one included, and fails where `navigator.gpu` gives none.
 * - 'auto': the best that works here, by priority: webgpu on a hardware WebGPU adapter (a software
 *   fallback such as SwiftShader does not count: it trains slower than cpu), then webgl where WebGL2
 *   exists, then native (Node, with the optional onnxruntime-node installed), then wasm, then cpu. So: webgpu
 *   or webgl in a browser; native in Node with onnxruntime-node, else wasm. A backend that fails to
 *   initialise is skipped with a warning.
 *
 * Resolves to the name of the backend now active.
 *
 * @example
 * ```ts
 * const name = await setBackend('auto');
 * name === getBackend(); // true
 * ```
 */
export async function setBackend(name: BackendName | 'auto'): Promise<string> {
  if (typeof name !== 'string' || (name as string) === '') {
    throw new ValueError(`setBackend expects a backend name or 'auto'. Received: ${JSON.stringify(name)}`);
  }
  if (name !== 'auto') {
    const backend = await loadBackend(name);
    if (!backend) {
      const known = [...new Set([...builtinBackends.map((b) => b.name), ...listBackends()])];
      throw new RegistryError(
        `Unknown backend: '${name}'. Known backends: ${known.join(', ')}, or 'auto'. ` +
          `A third-party backend must be registered (registerBackend) before it is selected.`,
      );
    }
    await activate(backend);
    return backend.name;
  }
  return autoSelect();
}

async function autoSelect(): Promise<string> {
  const candidates = new Map<string, number>();
  for (const b of builtinBackends) candidates.set(b.name, b.priority);
  for (const name of listBackends()) candidates.set(name, findBackend(name)!.priority);
  const order = [...candidates].sort((a, b) => b[1] - a[1]).map(([n]) => n);
  const skipped: string[] = [];
  for (const name of order) {
    // A built-in's description answers before its entry (and tfjs package) is loaded.
    const described = findBackend(name) ?? builtinBackends.find((b) => b.name === name);
    if (described?.isSupported && !(await described.isSupported())) {
      skipped.push(`${name}: not supported here`);
      continue;
    }
    let backend: StrataBackend | undefined;
    try {
      backend = await loadBackend(name);
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
      if (!(err instanceof MissingPackageError))
        console.warn(`setBackend('auto'): skipping '${name}'. ${(err as Error).message}`);
      continue;
    }
    if (!backend) continue;
    try {
      await activate(backend);
      return backend.name;
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
      console.warn(
        `setBackend('auto'): backend '${name}' failed to initialise, trying the next one. ${(err as Error).message}`,
      );
    }
  }
  throw new RuntimeError(`setBackend('auto') found no backend that works here. Tried: ${skipped.join('; ')}`);
}

/** The name of the tfjs backend ops run on now. */
export function getBackend(): string {
  return tf.getBackend();
}
