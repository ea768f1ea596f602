import { ValueError } from '@strata/core';

import type { LoadSource, SavedFile, SaveTarget } from './target.js';

/**
 * Keeps a saved model in memory: `await model.save(mem)`, then `mem.bytes` or `loadModel(mem)`.
 *
 * Keras: no counterpart; a Strata save/load target.
 *
 * @example
 * ```ts
 * const target = new MemoryTarget();
 * await model.save(target);
 * const again = await loadModel(target);
 * again.predict(x, { verbose: 0 }); // shape [16, 10]
 * ```
 */
export class MemoryTarget implements SaveTarget, LoadSource {
  readonly files = new Map<string, Uint8Array>();
  private primary: string | null = null;

  /** The primary file's bytes (the .keras/.h5 file, or model.json). */
  get bytes(): Uint8Array {
    if (this.primary === null) throw new ValueError('Nothing has been saved to this MemoryTarget yet.');
    return this.files.get(this.primary)!;
  }

  async write(files: SavedFile[], options: { overwrite: boolean }): Promise<void> {
    if (!options.overwrite && this.primary !== null)
      throw new ValueError('The MemoryTarget already holds a model and overwrite is false.');
    this.files.clear();
    for (const f of files) this.files.set(f.name, f.data.slice());
    this.primary = files[0]?.name ?? null;
  }

  async read(name?: string): Promise<Uint8Array> {
    if (name === undefined) return this.bytes;
    const f = this.files.get(name);
    if (!f)
      throw new ValueError(
        `The MemoryTarget has no file '${name}'. It holds: ${[...this.files.keys()].join(', ')}.`,
      );
    return f;
  }
}
