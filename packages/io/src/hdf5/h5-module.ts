import { RuntimeError } from '@strata/core';
import type * as H5 from 'h5wasm';

export type H5Api = typeof H5.default;
export interface H5Fs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
}

export interface H5Instance {
  h5: H5Api;
  fs: H5Fs;
}

interface Loaded extends H5Instance {
  /** The WebAssembly heap as it was right after start-up, before any file was opened. */
  pristine: Uint8Array;
  heap(): Uint8Array;
}

let loading: Promise<Loaded> | null = null;
let instances = 0;
let counter = 0;
let captured: string[] | null = null;

/**
 * Runs `fn` while HDF5's diagnostic stack (which the library prints line by line to stderr when it meets a
 * damaged file) is collected instead of printed; the lines are returned so errors can quote them.
 */
export function withCapturedDiagnostics<T>(fn: () => T): {
  result?: T;
  error?: unknown;
  diagnostics: string[];
} {
  const previous = captured;
  const lines: string[] = [];
  captured = lines;
  try {
    return { result: fn(), diagnostics: lines };
  } catch (error) {
    return { error, diagnostics: lines };
  } finally {
    captured = previous;
  }
}

/**
 * Loads h5wasm. Its ESM build keeps files in an in-memory file system in Node and in browsers alike, so
 * HDF5 bytes never touch the disk: a file is written there, parsed, and removed.
 *
 * One instance serves every file until it traps (see discardH5). Before each use its heap is put back as it
 * was at start-up (startFromPristineHeap), so what HDF5 does with a damaged file never depends on the files
 * read before it: the C library reads memory it did not initialize on some damaged inputs.
 */
export function loadH5(): Promise<H5Instance> {
  loading ??= instantiate().catch((e) => {
    loading = null;
    throw e;
  });
  return loading;
}

async function instantiate(): Promise<Loaded> {
  const m = await importQuietly(instances++);
  const h5 = m.default;
  const module = (await h5.ready) as unknown as { FS: H5Fs; HEAPU8: Uint8Array };
  return { h5, fs: module.FS, pristine: module.HEAPU8.slice(), heap: () => module.HEAPU8 };
}

/**
 * Puts the instance's heap back to its start-up state: the bytes the library had then, zeros beyond (the
 * allocator takes memory past its break to be zeroed). Only for an instance that never trapped, so that
 * its JavaScript side and its stack are consistent with that state.
 */
export async function startFromPristineHeap(): Promise<H5Instance> {
  let pending = loadH5() as Promise<Loaded>;
  let inst = await pending;
  // Another load may have discarded this instance while this one waited for it.
  while (loading !== pending) {
    pending = loadH5() as Promise<Loaded>;
    inst = await pending;
  }
  const heap = inst.heap();
  heap.set(inst.pristine);
  heap.fill(0, inst.pristine.length);
  return inst;
}

/**
 * Forgets the current instance after a WebAssembly trap or an abort inside it: its memory, stack and
 * JavaScript state may be half-updated, so every later file would see the damage of this one. The next
 * loadH5() starts a new instance.
 */
export function discardH5(): void {
  loading = null;
}

/** True for a failure of the WebAssembly machine itself rather than an error HDF5 reported. */
export function isTrap(e: unknown): boolean {
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) return true;
  if (!(e instanceof Error)) return true; // h5wasm reports its own errors as Errors; anything else is not one
  return /^(Aborted\(|RuntimeError)|memory access out of bounds|unreachable|call stack|index out of bounds|table index/i.test(
    e.message,
  );
}

/** A fresh name in h5wasm's in-memory file system. */
export function scratchPath(): string {
  counter += 1;
  return `/strata-io-${counter}.h5`;
}

/**
 * h5wasm binds `console.error` when its module is created; a forwarding wrapper installed just for the
 * import lets diagnostics be collected (see withCapturedDiagnostics) and passes everything else through.
 *
 * A second instance needs a second copy of h5wasm's module (its high-level API holds the Emscripten
 * instance in module state), so it is imported again under a distinct URL; where module URLs cannot be
 * resolved (a bundled browser app) the error says so.
 */
async function importQuietly(n: number): Promise<typeof H5> {
  const original = console.error;
  console.error = (...args: unknown[]) => {
    if (captured) captured.push(args.map(String).join(' '));
    else original.apply(console, args);
  };
  try {
    if (n === 0) return await import('h5wasm');
    const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
    if (typeof resolve !== 'function') {
      throw new RuntimeError(
        'The HDF5 reader (h5wasm) failed on an earlier damaged file and a fresh copy cannot be started here ' +
          '(import.meta.resolve is unavailable); reload the page to read HDF5 files again.',
      );
    }
    return await import(/* @vite-ignore */ `${resolve('h5wasm')}?strata-instance=${n}`);
  } finally {
    console.error = original;
  }
}
