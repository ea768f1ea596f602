import { type Layer, ValueError } from '@strata/core';

import { isModelLike, type ModelLike, walkSaved } from './model-shape.js';

/**
 * Keras 3 keeps some layer state as files under `assets/` in a `.keras` archive, at the same path as the
 * layer's weights: an adapted StringLookup's vocabulary is `assets/layers/string_lookup/vocabulary.txt`,
 * and a TextVectorization writes it both at its own path and at `…/text_vectorization/_lookup_layer/`.
 * Paths here are relative to `assets/`.
 */
export function collectKerasAssets(model: ModelLike): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  walkSaved(model, '', (layer, path) => {
    const files = layer.kerasSaveAssets?.() ?? {};
    for (const [name, data] of Object.entries(files)) out.set(path ? `${path}/${name}` : name, data);
  });
  return out;
}

/**
 * Gives each layer that reads assets the files in its folder. An archive with no assets at all (written
 * by Strata before it saved assets, which kept vocabularies in the config) is left to the config.
 */
export function loadKerasAssets(model: ModelLike, assets: Map<string, Uint8Array>): void {
  if (assets.size === 0) return;
  walkSaved(model, '', (layer, path) => {
    if (!layer.kerasLoadAssets) return;
    const prefix = path ? `${path}/` : '';
    const files: Record<string, Uint8Array> = {};
    for (const [name, data] of assets) {
      const rest = name.startsWith(prefix) ? name.slice(prefix.length) : null;
      if (rest && !rest.includes('/')) files[rest] = data;
    }
    layer.kerasLoadAssets(files, `assets/${prefix}`);
  });
}

/**
 * For formats without assets (legacy .h5, TF.js model.json): writes each layer's asset state into its
 * entry of the serialized model config, e.g. an adapted vocabulary as `vocabulary`, so that it survives.
 */
export function inlineKerasAssets(json: unknown, model: ModelLike): void {
  const byName = new Map<string, Layer>();
  const index = (m: ModelLike, depth: number) => {
    if (depth > 64) return;
    for (const l of m.layers) {
      byName.set(l.name, l);
      if (isModelLike(l)) index(l, depth + 1);
    }
  };
  index(model, 0);
  const visit = (node: unknown, depth: number) => {
    if (depth > 256) throw new ValueError('The model config nests more than 256 levels deep.');
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const obj = node as Record<string, unknown>;
    const config = obj.config as Record<string, unknown> | undefined;
    if (typeof obj.class_name === 'string' && config && typeof config.name === 'string') {
      const layer = byName.get(config.name);
      const inline = layer?.kerasInlineAssets?.();
      if (inline) Object.assign(config, inline);
    }
    for (const v of Object.values(obj)) visit(v, depth + 1);
  };
  visit(json, 0);
}
