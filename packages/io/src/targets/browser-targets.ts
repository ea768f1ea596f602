import { ValueError } from '@strata/core';

import type { LoadSource, SavedFile, SaveTarget } from './target.js';

const DB_NAME = 'strata-models';
const STORE = 'models';

function idb(): IDBFactory {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory)
    throw new ValueError("IndexedDB is not available here: 'indexeddb://' paths work in browsers only.");
  return factory;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = idb().open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * Saves into the browser's IndexedDB under a key (`indexeddb://my-model`); one transaction, so all or nothing.
 *
 * Keras: no counterpart; a Strata save/load target.
 *
 * @example
 * ```ts
 * // In a browser: the same as model.save('indexeddb://my-model').
 * const target = new IndexedDBTarget('my-model');
 * target.key; // 'my-model'
 * ```
 */
export class IndexedDBTarget implements SaveTarget, LoadSource {
  constructor(readonly key: string) {}

  async write(files: SavedFile[], options: { overwrite: boolean }): Promise<void> {
    const db = await openDb();
    try {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        if (!options.overwrite) {
          const probe = store.getKey(this.key);
          probe.onsuccess = () => {
            if (probe.result !== undefined) {
              tx.abort();
              reject(new ValueError(`indexeddb://${this.key} already exists and overwrite is false.`));
            } else
              store.put(
                files.map((f) => ({ name: f.name, data: f.data })),
                this.key,
              );
          };
        } else
          store.put(
            files.map((f) => ({ name: f.name, data: f.data })),
            this.key,
          );
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  async read(name?: string): Promise<Uint8Array> {
    const db = await openDb();
    try {
      const files = await new Promise<SavedFile[] | undefined>((resolve, reject) => {
        const req = db.transaction(STORE, 'readonly').objectStore(STORE).get(this.key);
        req.onsuccess = () => resolve(req.result as SavedFile[] | undefined);
        req.onerror = () => reject(req.error);
      });
      if (!files?.length) throw new ValueError(`No model is stored at indexeddb://${this.key}.`);
      const f = name === undefined ? files[0] : files.find((x) => x.name === name);
      if (!f) throw new ValueError(`indexeddb://${this.key} has no file '${name}'.`);
      return f.data;
    } finally {
      db.close();
    }
  }
}

/**
 * Offers the saved files as browser downloads (`downloads://my-model.keras`).
 *
 * Keras: no counterpart; a Strata save/load target.
 *
 * @example
 * ```ts
 * // In a browser: the .keras file downloads as 'my-model.keras'.
 * const target = new DownloadTarget('my-model.keras');
 * target.fileName; // 'my-model.keras'
 * ```
 */
export class DownloadTarget implements SaveTarget {
  constructor(readonly fileName: string) {}

  async write(files: SavedFile[]): Promise<void> {
    const doc = (globalThis as { document?: Document }).document;
    if (!doc || typeof URL.createObjectURL !== 'function') {
      throw new ValueError(
        "Browser downloads are not available here: 'downloads://' paths work in browsers only.",
      );
    }
    files.forEach((f, i) => {
      const url = URL.createObjectURL(new Blob([f.data as BlobPart], { type: 'application/octet-stream' }));
      const a = doc.createElement('a');
      a.href = url;
      a.download = i === 0 ? this.fileName : f.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 0);
    });
  }
}
