import { type Layer, serializeKerasObject, ValueError, type Variable } from '@strata/core';

import { getNode, type H5Dataset, type H5Group, newGroup } from '../hdf5/h5-tree.js';
import { KERAS_FORMAT_VERSION } from '../keras-version.js';
import { parseJsonText, type ReadLimits, stringifyJson } from '../limits.js';
import { inlineKerasAssets } from '../weights/keras-assets.js';
import type { ModelLike } from '../weights/model-shape.js';
import { checkedValues, type PendingAssignment, variableDataset } from '../weights/tensor-values.js';

/**
 * The legacy tf.keras whole-model HDF5 layout, which Keras 3 still writes for `.h5` paths: root attributes
 * `model_config` (JSON), `keras_version`, `backend` and (when compiled) `training_config`; weights under
 * `model_weights/<layer>/<weight path>` with `@layer_names` and per-layer `@weight_names` giving the order.
 */
export interface LegacyH5Contents {
  modelConfig: Record<string, unknown>;
  trainingConfig: Record<string, unknown> | null;
  kerasVersion: string | null;
  /** The group holding the weights: `model_weights` in whole-model files, the root in weights-only files. */
  weights: H5Group;
}

function attrString(group: H5Group, name: string): string | null {
  const v = group.attrs[name];
  return typeof v === 'string' ? v : null;
}

export function isLegacyModelFile(root: H5Group): boolean {
  return typeof root.attrs.model_config === 'string';
}

/** Reads the config and the weights group of a legacy whole-model file. */
export function readLegacyH5(root: H5Group, limits: ReadLimits): LegacyH5Contents {
  const configText = attrString(root, 'model_config');
  if (configText === null) {
    throw new ValueError(
      'This HDF5 file has no model_config attribute, so it holds weights only, not a model. ' +
        'Build the model in code and call model.loadWeights() on it.',
    );
  }
  const modelConfig = parseJsonText(configText, "the HDF5 'model_config' attribute", limits);
  if (typeof modelConfig !== 'object' || modelConfig === null)
    throw new ValueError("The HDF5 'model_config' attribute is not a JSON object.");
  const trainingText = attrString(root, 'training_config');
  const trainingConfig = trainingText
    ? (parseJsonText(trainingText, "the HDF5 'training_config' attribute", limits) as Record<string, unknown>)
    : null;
  const weights = getNode(root, 'model_weights');
  if (weights?.kind !== 'group')
    throw new ValueError("The legacy HDF5 model file has no 'model_weights' group.");
  return {
    modelConfig: modelConfig as Record<string, unknown>,
    trainingConfig,
    kerasVersion: attrString(root, 'keras_version'),
    weights,
  };
}

function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return [v];
  return [];
}

/**
 * Matches the file's layers that have weights to the model's layers that have weights, in order, as
 * Keras's `load_weights_from_hdf5_group` does, and checks every weight's shape. Nothing is assigned.
 */
export function planLegacyWeightsLoad(model: ModelLike, weightsGroup: H5Group): PendingAssignment[] {
  const fileLayers = stringList(weightsGroup.attrs.layer_names)
    .map((name) => {
      const g = weightsGroup.children.get(name);
      if (g?.kind !== 'group')
        throw new ValueError(`The HDF5 file lists layer '${name}' in @layer_names but has no group for it.`);
      return { name, group: g, weightNames: stringList(g.attrs.weight_names) };
    })
    .filter((l) => l.weightNames.length > 0);
  const modelLayers = model.layers.filter((l) => l.weights.length > 0);
  if (fileLayers.length !== modelLayers.length) {
    throw new ValueError(
      `The HDF5 file holds weights for ${fileLayers.length} layers (${fileLayers.map((l) => l.name).join(', ')}), ` +
        `but the model has ${modelLayers.length} layers with weights (${modelLayers.map((l) => l.name).join(', ')}).`,
    );
  }
  const out: PendingAssignment[] = [];
  modelLayers.forEach((layer, k) => {
    const entry = fileLayers[k];
    const vars = legacyWeights(layer);
    const owner = `Layer "${layer.name}" (${layer.getClassName()})`;
    if (entry.weightNames.length !== vars.length) {
      throw new ValueError(
        `${owner} expects ${vars.length} weights, but the HDF5 file has ${entry.weightNames.length} for '${entry.name}': ${entry.weightNames.join(', ')}.`,
      );
    }
    entry.weightNames.forEach((wn, i) => {
      const ds = getNode(entry.group, wn);
      if (ds?.kind !== 'dataset')
        throw new ValueError(`The HDF5 file lists weight '${entry.name}/${wn}' but has no dataset there.`);
      out.push(checkedValues(ds as H5Dataset, vars[i], `'model_weights/${entry.name}/${wn}'`, owner));
    });
  });
  return out;
}

/** A layer's weights in legacy order: trainable, then non-trainable (a nested model's, all of them). */
function legacyWeights(layer: Layer): Variable[] {
  return layer.weights;
}

/** The `model_weights` group (or the root of a legacy weights-only file) for a model. */
export function buildLegacyWeightsGroup(model: ModelLike, group: H5Group = newGroup()): H5Group {
  group.attrs.layer_names = model.layers.map((l) => l.name);
  group.attrs.backend = 'tensorflow';
  group.attrs.keras_version = KERAS_FORMAT_VERSION;
  for (const layer of model.layers) {
    const g = newGroup();
    const vars = legacyWeights(layer);
    const names = vars.map((v) => `${v.path}:0`);
    g.attrs.weight_names = names;
    vars.forEach((v, i) => {
      setPath(g, names[i], variableDataset(v));
    });
    group.children.set(layer.name, g);
  }
  const top = newGroup({ weight_names: [] });
  group.children.set('top_level_model_weights', top);
  return group;
}

function setPath(group: H5Group, path: string, ds: H5Dataset): void {
  const parts = path.split('/');
  let g = group;
  for (const p of parts.slice(0, -1)) {
    let next = g.children.get(p);
    if (!next) {
      next = newGroup();
      g.children.set(p, next);
    }
    if (next.kind !== 'group') throw new ValueError(`Weight path '${path}' collides with another weight.`);
    g = next;
  }
  g.children.set(parts[parts.length - 1], ds);
}

/** A whole legacy .h5 file: config attributes plus `model_weights`. */
export function buildLegacyH5(model: ModelLike, options: { includeOptimizer?: boolean } = {}): H5Group {
  const root = newGroup();
  const json = serializeKerasObject('layer', model);
  // Legacy .h5 files have no assets: adapted vocabularies go into the config.
  inlineKerasAssets(json, model);
  root.attrs.backend = 'tensorflow';
  root.attrs.keras_version = KERAS_FORMAT_VERSION;
  root.attrs.model_config = stringifyJson({ class_name: json.class_name, config: json.config });
  const compile = json.compile_config;
  if (options.includeOptimizer !== false && compile && typeof compile === 'object' && compile.optimizer) {
    const { optimizer, ...rest } = compile as Record<string, unknown>;
    root.attrs.training_config = stringifyJson({ ...rest, optimizer_config: optimizer });
  }
  root.children.set('model_weights', buildLegacyWeightsGroup(model));
  return root;
}
