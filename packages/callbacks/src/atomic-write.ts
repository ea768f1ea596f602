/**
 * Crash-safe file writes for checkpoints (Node only; loaded with a dynamic import so browser bundles
 * never pull in node:fs). A file is written under a temporary name in the same folder, flushed to disk,
 * then renamed over its final name: the final name only ever holds a complete file, whatever moment a
 * crash or a kill lands on.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RuntimeError } from '@strata/core';

const TEMP_SUFFIX = '.strata-tmp';

/** The temporary name a write to `path` goes through: hidden, tagged with this process's id. */
function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`,
  );
}

/** Writes `data` to `path` atomically: temporary file, flush, rename. On failure `path` is untouched. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx');
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncDirectory(dirname(path));
}

/** Makes the rename itself durable; some platforms cannot open a folder, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (Windows); the rename is still atomic.
  }
}

/**
 * Creates `dir` if needed (unless `create` is false) and proves a file can be created in it, so a bad
 * checkpoint location fails before training rather than after the first epoch's work. Throws the
 * operating system's error (ENOENT for a missing folder that is not to be created).
 */
export async function checkWritableDirectory(dir: string, create = true): Promise<void> {
  if (create) await mkdir(dir, { recursive: true });
  const probe = tempPathFor(join(dir, 'probe'));
  const handle = await open(probe, 'wx');
  await handle.close();
  await rm(probe, { force: true });
}

/** Removes temporary files left in `dir` by writers that were killed (their process no longer exists). */
export async function removeStaleTemporaries(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^\\..+\\.(\\d+)\\.[0-9a-f]{8}${TEMP_SUFFIX.replace('.', '\\.')}$`);
  for (const name of names) {
    const m = pattern.exec(name);
    if (m && !processAlive(Number(m[1]))) await rm(join(dir, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A save target for @strata/io that writes the primary file of a save atomically to `path`. */
export function atomicFileTarget(path: string): {
  write(files: { name: string; data: Uint8Array }[], options: { overwrite: boolean }): Promise<void>;
} {
  return {
    async write(files) {
      if (files.length !== 1) {
        throw new RuntimeError(`A checkpoint is one file, but the save produced ${files.length} files.`);
      }
      await writeFileAtomic(path, files[0].data);
    },
  };
}
