import type * as H5 from 'h5wasm';

export type H5Api = typeof H5.default;
export interface H5Fs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
}

let loading: Promise<{ h5: H5Api; fs: H5Fs }> | null = null;
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
 * Loads h5wasm once. Its ESM build keeps files in an in-memory file system in Node and in browsers
 * alike, so HDF5 bytes never touch the disk: a file is written there, parsed, and removed.
 */
export function loadH5(): Promise<{ h5: H5Api; fs: H5Fs }> {
  loading ??= importQuietly().then(async (m) => {
    const h5 = m.default;
    const module = (await h5.ready) as unknown as { FS: H5Fs };
    return { h5, fs: module.FS };
  });
  return loading;
}

/** A fresh name in h5wasm's in-memory file system. */
export function scratchPath(): string {
  counter += 1;
  return `/strata-io-${counter}.h5`;
}

/**
 * h5wasm binds `console.error` when its module is created; a forwarding wrapper installed just for the
 * import lets diagnostics be collected (see withCapturedDiagnostics) and passes everything else through.
 */
async function importQuietly(): Promise<typeof H5> {
  const original = console.error;
  console.error = (...args: unknown[]) => {
    if (captured) captured.push(args.map(String).join(' '));
    else original.apply(console, args);
  };
  try {
    return await import('h5wasm');
  } finally {
    console.error = original;
  }
}
