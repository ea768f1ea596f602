import { serializeKerasObject, ValueError } from '@strata/core';

import { writeHdf5 } from './hdf5/write-h5.js';
import { KERAS_FORMAT_VERSION, kerasDateSaved } from './keras-version.js';
import { writeKerasArchive } from './keras-zip/keras-archive.js';
import { buildLegacyH5 } from './legacy-h5/legacy-h5.js';
import { DownloadTarget, IndexedDBTarget } from './targets/browser-targets.js';
import { isSaveTarget, type SavedFile, type SaveTarget } from './targets/target.js';
import { buildTfjsFiles } from './tfjs/tfjs-format.js';
import { collectKerasAssets } from './weights/keras-assets.js';
import { buildKerasWeightsTree } from './weights/keras-weights.js';
import type { ModelLike } from './weights/model-shape.js';

/**
 * A save format: Keras 3's `.keras` zip, the legacy `.h5` file, or TF.js's `model.json` with weight shards.
 */
export type SaveFormat = 'keras' | 'h5' | 'tfjs';

/** Options of `saveModel` and `model.save`: format, overwriting, and whether to include the optimizer. */
export interface SaveModelOptions {
  /** Save the optimizer's state too (default true, as in Keras). */
  includeOptimizer?: boolean;
  /** Replace an existing file (default true, as in Keras). */
  overwrite?: boolean;
  /** The format for targets without a file extension (IndexedDB, downloads, memory). Default 'keras'. */
  format?: SaveFormat;
}

/** A path's format by extension, as Keras decides it. */
function formatOfPath(path: string): SaveFormat {
  const p = path.toLowerCase();
  if (p.endsWith('.weights.h5')) {
    throw new ValueError(
      `A path ending in .weights.h5 is for weights only: use model.saveWeights('${path}'). Received: filepath=${path}`,
    );
  }
  if (p.endsWith('.keras')) return 'keras';
  if (p.endsWith('.h5') || p.endsWith('.hdf5')) return 'h5';
  if (p.endsWith('.json')) return 'tfjs';
  throw new ValueError(
    'Invalid filepath extension for saving. Please add either a `.keras` extension for the native Keras format ' +
      '(recommended), a `.h5` extension for the legacy HDF5 format, or `.json` for TF.js Layers (model.json and ' +
      `weight shards). Received: filepath=${path}`,
  );
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** The bytes of a model in one format, built completely before anything is written. */
export async function modelFiles(
  model: ModelLike,
  format: SaveFormat,
  name: string,
  includeOptimizer: boolean,
): Promise<SavedFile[]> {
  if (format === 'keras') {
    const config = serializeKerasObject('layer', model);
    const weights = await writeHdf5(buildKerasWeightsTree(model, { includeOptimizer }));
    const metadata = { keras_version: KERAS_FORMAT_VERSION, date_saved: kerasDateSaved() };
    const assets = collectKerasAssets(model);
    return [{ name, data: writeKerasArchive({ metadata, config, weights, assets }) }];
  }
  if (format === 'h5') return [{ name, data: await writeHdf5(buildLegacyH5(model, { includeOptimizer })) }];
  const files = buildTfjsFiles(model);
  files[0] = { ...files[0], name };
  return files;
}

async function writeToDestination(
  destination: string | SaveTarget,
  files: SavedFile[],
  overwrite: boolean,
): Promise<void> {
  if (isSaveTarget(destination)) return destination.write(files, { overwrite });
  if (destination.startsWith('indexeddb://'))
    return new IndexedDBTarget(destination.slice(12)).write(files, { overwrite });
  if (destination.startsWith('downloads://'))
    return new DownloadTarget(destination.slice(12) || files[0].name).write(files);
  const node = await import('./targets/node-file.js');
  await node.writeFilesAtomic(
    destination.startsWith('file://') ? decodeURIComponent(new URL(destination).pathname) : destination,
    files,
    overwrite,
  );
}

function schemeName(destination: string): string | null {
  const m = /^(indexeddb|downloads):\/\/(.*)$/.exec(destination);
  return m ? m[2] : null;
}

/**
 * Saves a whole model (Keras's `model.save`): `.keras` (Keras 3 zip), `.h5` (legacy HDF5, as Keras 3 still
 * writes for that extension) or `.json` (TF.js Layers). Targets: a file path (Node; written atomically),
 * `indexeddb://key`, `downloads://name`, or an object with `write(files)` such as MemoryTarget.
 */
export async function saveModel(
  model: ModelLike,
  destination: string | SaveTarget,
  options: SaveModelOptions = {},
): Promise<void> {
  let format: SaveFormat;
  let name: string;
  if (typeof destination === 'string') {
    const scheme = schemeName(destination);
    if (scheme !== null) {
      format = options.format ?? (scheme.includes('.') ? formatOfPath(scheme) : 'keras');
      name = scheme.includes('.') ? scheme : `${scheme || 'model'}.${format === 'tfjs' ? 'json' : format}`;
    } else {
      format = formatOfPath(destination);
      name = baseName(destination);
    }
  } else if (isSaveTarget(destination)) {
    format = options.format ?? 'keras';
    name = format === 'tfjs' ? 'model.json' : `model.${format}`;
  } else {
    throw new ValueError(
      `Cannot save to ${String(destination)}: pass a path, 'indexeddb://key', 'downloads://name' or a target object.`,
    );
  }
  const files = await modelFiles(model, format, name, options.includeOptimizer ?? true);
  await writeToDestination(destination, files, options.overwrite ?? true);
}

/**
 * Saves the weights alone (Keras's `save_weights`) in Keras 3's layout, including the optimizer's state
 * when the model has an optimizer. File paths must end in `.weights.h5`, as Keras requires.
 */
export async function saveWeights(
  model: ModelLike,
  destination: string | SaveTarget,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  if (
    typeof destination === 'string' &&
    schemeName(destination) === null &&
    !destination.toLowerCase().endsWith('.weights.h5')
  ) {
    throw new ValueError(`The filename must end in \`.weights.h5\`. Received: filepath=${destination}`);
  }
  const tree = buildKerasWeightsTree(model, { includeOptimizer: model.optimizer != null });
  const data = await writeHdf5(tree);
  const name = typeof destination === 'string' ? baseName(destination) : 'model.weights.h5';
  await writeToDestination(destination, [{ name, data }], options.overwrite ?? true);
}
