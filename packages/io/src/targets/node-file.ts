/**
 * File-path saving and loading for Node. Loaded with a dynamic import only when a path is used, so
 * browser bundles never pull in node:fs.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { ValueError } from '@strata/core';

import type { SavedFile } from './target.js';

/**
 * Writes every file next to `primaryPath` atomically: each goes to a temporary file in the same folder,
 * is flushed, then renamed over its destination. If any write fails, the temporaries are removed and the
 * existing files stay as they were.
 */
export async function writeFilesAtomic(
  primaryPath: string,
  files: SavedFile[],
  overwrite: boolean,
): Promise<void> {
  const dir = dirname(primaryPath);
  // As in Keras, saving never creates folders: a mistyped path fails here instead of leaving new folders.
  const folder = await stat(dir).catch(() => null);
  if (!folder?.isDirectory()) {
    throw new ValueError(
      `Cannot save to '${primaryPath}': the folder '${dir}' ${folder ? 'is not a folder' : 'does not exist'}. ` +
        'Create it first; saving does not create folders.',
    );
  }
  const destinations = files.map((f, i) => (i === 0 ? primaryPath : join(dir, f.name)));
  if (!overwrite) {
    for (const d of destinations) {
      if (await exists(d)) throw new ValueError(`File ${d} already exists and overwrite is false.`);
    }
  }
  const temps: string[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const tmp = `${destinations[i]}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
      temps.push(tmp);
      const handle = await open(tmp, 'wx');
      try {
        await handle.writeFile(files[i].data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    // Shards first, the primary file last: a reader never sees a model.json whose shards are missing.
    for (let i = files.length - 1; i >= 0; i--) await rename(temps[i], destinations[i]);
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Reads a file after checking its size against the limit, so a huge file is refused before it is read. */
export async function readFileBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ValueError(`${path} is not a file.`);
    size = st.size;
  } catch (e) {
    if (e instanceof ValueError) throw e;
    throw new ValueError(`Cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > maxBytes)
    throw new ValueError(`${path} is ${size} bytes, more than the limit of ${maxBytes} bytes.`);
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function siblingPath(primaryPath: string, name: string): string {
  if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') {
    throw new ValueError(
      `Refusing to read '${name}': file names in a model must not contain path separators.`,
    );
  }
  return join(dirname(primaryPath), name);
}
