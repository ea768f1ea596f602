import { ValueError } from '@strata/core';

import type { ReadLimits } from './limits.js';
import { IndexedDBTarget } from './targets/browser-targets.js';
import { isLoadSource, type LoadSource } from './targets/target.js';

/** What a load can start from: a path, bytes, a map of file names to bytes, or a target object. */
export type ModelSource = string | Uint8Array | ArrayBuffer | Record<string, Uint8Array> | LoadSource;

export interface OpenedSource {
  /** The primary file (the .keras/.h5 file or model.json). */
  primary: Uint8Array;
  /** Reads a file that sits beside the primary one (TF.js weight shards). */
  sibling(name: string): Promise<Uint8Array>;
  describe: string;
}

function checkSize(bytes: Uint8Array, what: string, limits: ReadLimits): Uint8Array {
  if (bytes.byteLength > limits.maxFileBytes) {
    throw new ValueError(
      `${what} is ${bytes.byteLength} bytes, more than the limit of ${limits.maxFileBytes} bytes.`,
    );
  }
  return bytes;
}

export async function openSource(source: ModelSource, limits: ReadLimits): Promise<OpenedSource> {
  if (typeof source === 'string') {
    if (source.startsWith('indexeddb://'))
      return openLoadSource(new IndexedDBTarget(source.slice(12)), source, limits);
    if (/^[a-z]+:\/\//i.test(source) && !source.startsWith('file://')) {
      throw new ValueError(
        `Cannot load from '${source}': Strata reads file paths, 'indexeddb://' keys, bytes and targets; fetch remote files yourself and pass the bytes.`,
      );
    }
    const path = source.startsWith('file://') ? decodeURIComponent(new URL(source).pathname) : source;
    const node = await import('./targets/node-file.js');
    const primary = await node.readFileBounded(path, limits.maxFileBytes);
    return {
      primary,
      sibling: (name) => node.readFileBounded(node.siblingPath(path, name), limits.maxFileBytes),
      describe: path,
    };
  }
  if (source instanceof Uint8Array) {
    return {
      primary: checkSize(source, 'The model bytes', limits),
      sibling: noSiblings,
      describe: 'the given bytes',
    };
  }
  if (source instanceof ArrayBuffer) {
    return {
      primary: checkSize(new Uint8Array(source), 'The model bytes', limits),
      sibling: noSiblings,
      describe: 'the given bytes',
    };
  }
  if (isLoadSource(source)) return openLoadSource(source, 'the given target', limits);
  if (typeof source === 'object' && source !== null) {
    const files = source as Record<string, Uint8Array>;
    const name = 'model.json' in files ? 'model.json' : Object.keys(files)[0];
    if (!name || !(files[name] instanceof Uint8Array))
      throw new ValueError(
        'A file map needs Uint8Array values, e.g. {"model.json": …, "group1-shard1of1.bin": …}.',
      );
    return {
      primary: checkSize(files[name], name, limits),
      sibling: async (n) => {
        if (!(files[n] instanceof Uint8Array)) throw new ValueError(`The file map has no '${n}'.`);
        return checkSize(files[n], n, limits);
      },
      describe: 'the given files',
    };
  }
  throw new ValueError(
    `Cannot load a model from ${String(source)}: pass a path, bytes, a file map or a target.`,
  );
}

async function openLoadSource(src: LoadSource, describe: string, limits: ReadLimits): Promise<OpenedSource> {
  return {
    primary: checkSize(await src.read(), describe, limits),
    sibling: async (name) => checkSize(await src.read(name), name, limits),
    describe,
  };
}

async function noSiblings(name: string): Promise<Uint8Array> {
  throw new ValueError(
    `The model refers to '${name}', but it was given as bytes alone. Pass a file map {name: bytes} or a path.`,
  );
}
