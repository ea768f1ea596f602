import {
  buildingFromFile,
  type Layer,
  type Model,
  NotImplementedError,
  RegistryError,
  ValueError,
} from '@strata/core';

import { compileConfigFromTrainingConfig, compileFromFile } from './compile-from-file.js';
import type { H5Group } from './hdf5/h5-tree.js';
import { readHdf5 } from './hdf5/read-h5.js';
import { openKerasArchive } from './keras-zip/keras-archive.js';
import { isLegacyModelFile, planLegacyWeightsLoad, readLegacyH5 } from './legacy-h5/legacy-h5.js';
import { parseJsonBytes, type ReadLimits, resolveLimits } from './limits.js';
import { modelFromJSON } from './model-config.js';
import { describeMagic, sniffFormat } from './sniff.js';
import { type ModelSource, type OpenedSource, openSource } from './sources.js';
import { checkTfjsModelJSON, decodeTfjsWeights, planTfjsWeightsLoad } from './tfjs/tfjs-format.js';
import {
  arraysCapacity,
  type FileCapacity,
  FileWeights,
  h5Capacity,
  kerasWeightsByteCap,
} from './weights/file-capacity.js';
import { loadKerasAssets } from './weights/keras-assets.js';
import { type PendingLoad, planKerasWeightsLoad } from './weights/keras-weights.js';
import type { ModelLike } from './weights/model-shape.js';
import { assignAll } from './weights/tensor-values.js';

/** Options of `loadModel`: whether to compile, size limits for untrusted files, and where warnings go. */
export interface LoadModelOptions {
  /** Compile the model from the file's compile_config (default true, as in Keras). */
  compile?: boolean;
  /** Size bounds for untrusted files. */
  limits?: Partial<ReadLimits>;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
}

/**
 * Options of `loadWeights` and `model.loadWeights`: size limits for untrusted files, and where warnings go.
 */
export interface LoadWeightsOptions {
  limits?: Partial<ReadLimits>;
  warn?: (message: string) => void;
}

/**
 * The HDF5 attributes loading uses: none in Keras 3's weights layout (it goes by structure), and the
 * legacy layout's config and name lists. Others are never read (see ReadHdf5Options).
 */
const NO_ATTRIBUTES = { attributes: () => false };
const LEGACY_NAMES = new Set([
  'model_config',
  'training_config',
  'keras_version',
  'backend',
  'layer_names',
  'weight_names',
]);
const LEGACY_ATTRIBUTES = { attributes: (name: string) => LEGACY_NAMES.has(name) };

function unknownFormat(bytes: Uint8Array, where: string): ValueError {
  return new ValueError(
    `Cannot read ${where}: it is ${describeMagic(bytes)}, which is neither a .keras zip (PK\\x03\\x04), ` +
      'an HDF5 file (\\x89HDF) nor a TF.js model.json.',
  );
}

/**
 * Loads a whole model, like Keras's `load_model`: a Keras 3 `.keras` zip, a legacy tf.keras `.h5` file, or
 * a TF.js Layers model.json with its shards. The format is told by the file's first bytes. Everything is
 * read and checked before a weight is assigned; no code from the file ever runs.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<Model> {
  const limits = resolveLimits(options.limits);
  const src = await openSource(source, limits);
  const warn = options.warn ?? console.warn;
  const bytes = src.primary;
  switch (sniffFormat(bytes)) {
    case 'zip':
      return loadKerasZip(bytes, limits, options.compile ?? true, warn);
    case 'hdf5':
      return loadLegacyH5(
        await readHdf5(bytes, limits, src.describe, LEGACY_ATTRIBUTES),
        limits,
        options.compile ?? true,
        warn,
      );
    case 'json':
      return loadTfjs(src, limits);
    default:
      throw unknownFormat(bytes, src.describe);
  }
}

/**
 * Builds a model from config and assigns its weights; a failure disposes the half-made model. While it is
 * built, weights are checked against what the file can hold before they are allocated, and are not
 * initialized (the file's values replace them): see FileWeights.
 */
function withNewModel(
  config: unknown,
  capacity: FileCapacity,
  what: string,
  plan: (model: ModelLike) => PendingLoad,
): Model {
  const built = buildModel(config, capacity, what);
  finishLoad(built, () => plan(built.model));
  return built.model;
}

interface Built {
  model: Model;
  scope: FileWeights;
}

function buildModel(config: unknown, capacity: FileCapacity, what: string): Built {
  const scope = new FileWeights(capacity, what);
  try {
    return { model: buildingFromFile(scope, () => modelFromJSON(config)), scope };
  } catch (e) {
    scope.disposeCreated();
    throw asConfigError(e);
  }
}

/**
 * Strata's own errors pass through; anything else a constructor threw on a malformed config (a TypeError
 * from a value of the wrong type, a RangeError from an absurd size) becomes a ValueError that says so.
 */
function asConfigError(e: unknown): unknown {
  if (e instanceof ValueError || e instanceof RegistryError || e instanceof NotImplementedError) return e;
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new ValueError(`The model config in the file is malformed: building it failed with ${what}`, {
    cause: e,
  });
}

/** Disposes what a load built when it fails after the build. */
function discardBuilt({ model, scope }: Built): void {
  model.dispose();
  scope.disposeCreated();
}

function finishLoad(built: Built, plan: () => PendingLoad): void {
  try {
    applyLoad(plan());
  } catch (e) {
    discardBuilt(built);
    throw e;
  }
}

export function applyLoad(pending: PendingLoad): void {
  assignAll(pending.assignments);
  for (const { layer, state } of pending.states ?? []) layer.kerasLoadState?.(state);
  if (pending.learningRate) pending.learningRate.optimizer.learningRate = pending.learningRate.value;
}

async function loadKerasZip(
  bytes: Uint8Array,
  limits: ReadLimits,
  compile: boolean,
  warn: (m: string) => void,
): Promise<Model> {
  const archive = openKerasArchive(bytes, limits);
  // The config is built first (an array of the weights file cannot hold more values than the member
  // declares bytes), so that the weights member can be capped by what this model's weights can take
  // before a byte of it is inflated.
  const declared = archive.weightsDeclaredBytes;
  const built = buildModel(
    archive.config,
    { largest: declared, total: declared },
    "the archive's model.weights.h5",
  );
  const { model } = built;
  let tree: H5Group;
  try {
    const assetBytes = [...(archive.assets ?? new Map()).values()].reduce((n, a) => n + a.length, 0);
    const cap = kerasWeightsByteCap(model, assetBytes);
    const weights = archive.readWeights(cap, `what the weights of the model in config.json can take`);
    tree = await readHdf5(weights, limits, "the archive's model.weights.h5", NO_ATTRIBUTES);
  } catch (e) {
    discardBuilt(built);
    throw e;
  }
  finishLoad(built, () => planKerasWeightsLoad(model, tree));
  try {
    loadKerasAssets(model, archive.assets ?? new Map());
  } catch (e) {
    discardBuilt(built);
    throw e;
  }
  if (compile && archive.config.compile_config) {
    if (compileFromFile(model, archive.config.compile_config, warn)) restoreOptimizer(model, tree, warn);
  }
  return model;
}

/** Restores optimizer state after compile, as Keras does; a mismatch is a warning there too. */
function restoreOptimizer(model: ModelLike, tree: H5Group, warn: (m: string) => void): void {
  const opt = model.optimizer;
  if (!opt || !tree.children.has('optimizer')) return;
  try {
    if (!opt.built) opt.build(model.trainableWeights);
    const pending = planKerasWeightsLoad(emptyShell(model), tree, { optimizer: true });
    applyLoad(pending);
    opt.syncStep?.();
  } catch (e) {
    warn(`Skipping optimizer state from the file: ${(e as Error).message}`);
  }
}

/** A stand-in with the model's optimizer and no layers, to plan the optimizer part of a load alone. */
function emptyShell(model: ModelLike): ModelLike {
  return {
    name: model.name,
    layers: [] as Layer[],
    ownVariables: [],
    subLayers: [],
    optimizer: model.optimizer,
    getClassName: () => model.getClassName(),
  } as unknown as ModelLike;
}

async function loadLegacyH5(
  root: H5Group,
  limits: ReadLimits,
  compile: boolean,
  warn: (m: string) => void,
): Promise<Model> {
  const contents = readLegacyH5(root, limits);
  const model = withNewModel(contents.modelConfig, h5Capacity(contents.weights), 'the HDF5 file', (m) => ({
    assignments: planLegacyWeightsLoad(m, contents.weights),
  }));
  if (compile && contents.trainingConfig)
    compileFromFile(model, compileConfigFromTrainingConfig(contents.trainingConfig), warn);
  return model;
}

async function loadTfjs(src: OpenedSource, limits: ReadLimits): Promise<Model> {
  const json = checkTfjsModelJSON(parseJsonBytes(src.primary, 'model.json', limits));
  const shards: Uint8Array[][] = [];
  for (const group of json.weightsManifest)
    shards.push(await Promise.all(group.paths.map((p) => src.sibling(p))));
  const weights = decodeTfjsWeights(json.weightsManifest, shards);
  const capacity = arraysCapacity([...weights.values()].map((w) => w.values));
  return withNewModel(json.modelTopology, capacity, "model.json's weights", (m) => ({
    assignments: planTfjsWeightsLoad(m, weights),
  }));
}

/**
 * Loads weights into an existing model (Keras's `load_weights`): a `.weights.h5` file in Keras 3's
 * layout, a legacy `.h5` (whole-model or weights-only), the weights inside a `.keras` archive, or a TF.js
 * model.json. All weights are read and checked first; on any error the model keeps its weights.
 */
export async function loadWeights(
  model: ModelLike,
  source: ModelSource,
  options: LoadWeightsOptions = {},
): Promise<void> {
  const limits = resolveLimits(options.limits);
  const warn = options.warn ?? console.warn;
  const src = await openSource(source, limits);
  const bytes = src.primary;
  let tree: H5Group;
  switch (sniffFormat(bytes)) {
    case 'zip': {
      const archive = openKerasArchive(bytes, limits);
      const assetBytes = [...(archive.assets ?? new Map()).values()].reduce((n, a) => n + a.length, 0);
      const weights = archive.readWeights(
        kerasWeightsByteCap(model, assetBytes),
        'what the weights of the model being loaded into can take',
      );
      tree = await readHdf5(weights, limits, "the archive's model.weights.h5", NO_ATTRIBUTES);
      break;
    }
    case 'hdf5':
      tree = await readHdf5(bytes, limits, src.describe, LEGACY_ATTRIBUTES);
      break;
    case 'json': {
      const json = checkTfjsModelJSON(parseJsonBytes(bytes, 'model.json', limits));
      const shards: Uint8Array[][] = [];
      for (const group of json.weightsManifest)
        shards.push(await Promise.all(group.paths.map((p) => src.sibling(p))));
      applyLoad({ assignments: planTfjsWeightsLoad(model, decodeTfjsWeights(json.weightsManifest, shards)) });
      return;
    }
    default:
      throw unknownFormat(bytes, src.describe);
  }
  if (
    isLegacyModelFile(tree) ||
    typeof tree.attrs.layer_names === 'string' ||
    Array.isArray(tree.attrs.layer_names)
  ) {
    const group = isLegacyModelFile(tree) ? readLegacyH5(tree, limits).weights : tree;
    applyLoad({ assignments: planLegacyWeightsLoad(model, group) });
    return;
  }
  const pending = planKerasWeightsLoad(model, tree);
  applyLoad(pending);
  if (model.optimizer?.built && tree.children.has('optimizer')) restoreOptimizer(model, tree, warn);
}
