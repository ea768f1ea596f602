/** One file of a saved model: the `.keras`/`.h5` file itself, or TF.js's model.json and its weight shards. */
export interface SavedFile {
  name: string;
  data: Uint8Array;
}

/** Where a save goes. The first file is the primary one (the one a load starts from). */
export interface SaveTarget {
  write(files: SavedFile[], options: { overwrite: boolean }): Promise<void>;
}

/** Where a load reads from: `read(name)` gives the primary file without a name, others (shards) by name. */
export interface LoadSource {
  read(name?: string): Promise<Uint8Array>;
}

export function isSaveTarget(x: unknown): x is SaveTarget {
  return typeof x === 'object' && x !== null && typeof (x as SaveTarget).write === 'function';
}

export function isLoadSource(x: unknown): x is LoadSource {
  return typeof x === 'object' && x !== null && typeof (x as LoadSource).read === 'function';
}
