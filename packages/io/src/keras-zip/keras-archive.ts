import { ValueError } from '@strata/core';

import { parseJsonBytes, type ReadLimits, stringifyJson } from '../limits.js';
import { ZipArchive } from './zip-reader.js';
import { writeZip } from './zip-writer.js';

/** The parts of a Keras 3 `.keras` archive. */
export interface KerasArchive {
  metadata: Record<string, unknown>;
  config: Record<string, unknown>;
  /** The bytes of `model.weights.h5` (HDF5). */
  weights: Uint8Array;
  /** Files under `assets/` (such as an adapted lookup layer's `layers/string_lookup/vocabulary.txt`), by path below it. */
  assets?: Map<string, Uint8Array>;
}

const REQUIRED = ['metadata.json', 'config.json', 'model.weights.h5'] as const;
const ASSETS = 'assets/';

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValueError(
      `${what} should hold a JSON object. Received: ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

/** A `.keras` zip whose JSON members and assets are read, and whose weights are read on request. */
export interface OpenedKerasArchive extends Omit<KerasArchive, 'weights'> {
  /** The size `model.weights.h5` declares, before anything is inflated. */
  weightsDeclaredBytes: number;
  /**
   * Extracts `model.weights.h5`, refusing it before inflating anything when it declares more than
   * `maxBytes`, and stopping the inflation as soon as it produces more than it declared.
   */
  readWeights(maxBytes: number, why: string): Uint8Array;
}

/** Opens a `.keras` zip: all three members must be present; JSON members are parsed under size limits. */
export function readKerasArchive(bytes: Uint8Array, limits: ReadLimits): KerasArchive {
  const { readWeights, weightsDeclaredBytes: _, ...rest } = openKerasArchive(bytes, limits);
  return { ...rest, weights: readWeights(limits.maxFileBytes, 'the limit on file sizes') };
}

/** Like readKerasArchive, but leaves the weights member compressed until the caller knows how big it may be. */
export function openKerasArchive(bytes: Uint8Array, limits: ReadLimits): OpenedKerasArchive {
  const zip = ZipArchive.open(bytes, limits);
  for (const name of REQUIRED) {
    if (!zip.has(name)) {
      const hint =
        name === 'model.weights.h5' && zip.has('model.weights.npz')
          ? ' (weights saved as .npz are not supported)'
          : '';
      throw new ValueError(
        `The .keras archive has no '${name}'${hint}. A Keras 3 archive holds metadata.json, config.json and model.weights.h5; ` +
          `this one holds: ${zip.names().join(', ') || 'nothing'}.`,
      );
    }
  }
  const json = (name: string) =>
    asObject(
      parseJsonBytes(
        zip.read(name, { maxBytes: limits.maxJsonBytes, why: 'the limit on JSON documents' }),
        name,
        limits,
      ),
      name,
    );
  const metadata = json('metadata.json');
  const config = json('config.json');
  const assets = new Map<string, Uint8Array>();
  for (const name of zip.names()) {
    if (name.startsWith(ASSETS) && !name.endsWith('/')) assets.set(name.slice(ASSETS.length), zip.read(name));
  }
  return {
    metadata,
    config,
    assets,
    weightsDeclaredBytes: zip.entries.get('model.weights.h5')!.size,
    readWeights: (maxBytes, why) => zip.read('model.weights.h5', { maxBytes, why }),
  };
}

/** Writes a `.keras` zip with its members stored uncompressed in Keras's order, assets last. */
export function writeKerasArchive(archive: KerasArchive): Uint8Array {
  const enc = new TextEncoder();
  const assets = [...(archive.assets ?? new Map<string, Uint8Array>())]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, data]): [string, Uint8Array] => [ASSETS + name, data]);
  return writeZip([
    ['metadata.json', enc.encode(stringifyJson(archive.metadata))],
    ['config.json', enc.encode(stringifyJson(archive.config))],
    ['model.weights.h5', archive.weights],
    ...assets,
  ]);
}
