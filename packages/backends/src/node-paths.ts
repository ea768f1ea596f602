/**
 * Node-only helpers, reached through `process.getBuiltinModule` rather than an import of 'node:*', so a
 * browser bundle of the entries that use them needs no Node shims.
 */
import type { createRequire } from 'node:module';

export function isNode(): boolean {
  return (
    typeof process === 'object' &&
    typeof process.versions === 'object' &&
    process.versions?.node != null &&
    typeof (globalThis as { window?: unknown }).window === 'undefined'
  );
}

/** The folder holding an installed package's main file (with a trailing slash), or undefined outside Node. */
export function packageMainFolder(pkg: string, from: string): string | undefined {
  if (!isNode() || typeof process.getBuiltinModule !== 'function') return undefined;
  const mod = process.getBuiltinModule('node:module') as { createRequire: typeof createRequire };
  const main = mod.createRequire(from).resolve(pkg);
  return main.slice(0, Math.max(main.lastIndexOf('/'), main.lastIndexOf('\\')) + 1);
}

/** Whether `pkg` resolves from `from` in Node (false outside Node). */
export function resolvesInNode(pkg: string, from: string): boolean {
  if (!isNode() || typeof process.getBuiltinModule !== 'function') return false;
  const mod = process.getBuiltinModule('node:module') as { createRequire: typeof createRequire };
  try {
    mod.createRequire(from).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
