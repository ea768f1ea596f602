import { formatShape, type Layer, serializeKerasObject, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { stringifyJson } from '../limits.js';
import type { SavedFile } from '../targets/target.js';
import { inlineKerasAssets } from '../weights/keras-assets.js';
import type { ModelLike } from '../weights/model-shape.js';
import type { PendingAssignment } from '../weights/tensor-values.js';

/** One entry of a TF.js weights manifest. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  quantization?: {
    dtype: 'uint8' | 'uint16' | 'float16';
    scale?: number;
    min?: number;
    original_dtype?: string;
  };
}

export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** TF.js Layers' model.json. */
export interface TfjsModelJSON {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: TfjsWeightGroup[];
  trainingConfig?: Record<string, unknown>;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

export function checkTfjsModelJSON(json: unknown): TfjsModelJSON {
  const j = json as Partial<TfjsModelJSON> | null;
  if (!j || typeof j !== 'object' || typeof j.modelTopology !== 'object' || j.modelTopology === null) {
    throw new ValueError(
      'A TF.js model.json needs a `modelTopology` object (a graph model from the TF.js converter is not a Layers model).',
    );
  }
  const manifest = j.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new ValueError('model.json: `weightsManifest` should be a list.');
  for (const group of manifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ValueError('model.json: each weightsManifest entry needs `paths` and `weights` lists.');
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || /[\\/]/.test(p) || p === '..' || p === '.')
        throw new ValueError(`model.json: invalid shard path '${String(p)}'.`);
    }
    for (const w of group.weights) {
      if (
        !w ||
        typeof w.name !== 'string' ||
        !Array.isArray(w.shape) ||
        !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)
      ) {
        throw new ValueError(`model.json: invalid weight entry ${JSON.stringify(w)?.slice(0, 200)}.`);
      }
      const stored = w.quantization?.dtype ?? w.dtype;
      if (!(stored in BYTES))
        throw new ValueError(`model.json: weight '${w.name}' has unsupported dtype '${stored}'.`);
    }
  }
  return { ...(j as TfjsModelJSON), weightsManifest: manifest };
}

/**
 * Decodes the weights of a manifest from its shard bytes. Each group's declared sizes must add up to the
 * bytes of its shards exactly, so a lying manifest fails before anything is allocated for it.
 */
export function decodeTfjsWeights(
  manifest: TfjsWeightGroup[],
  shards: Uint8Array[][],
): Map<string, { spec: TfjsWeightSpec; values: Float32Array | Int32Array }> {
  const out = new Map<string, { spec: TfjsWeightSpec; values: Float32Array | Int32Array }>();
  manifest.forEach((group, gi) => {
    const parts = shards[gi];
    const total = parts.reduce((n, p) => n + p.length, 0);
    const declared = group.weights.reduce(
      (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * BYTES[w.quantization?.dtype ?? w.dtype],
      0,
    );
    if (declared !== total) {
      throw new ValueError(
        `model.json: weight group ${gi + 1} declares ${declared} bytes, but its shards (${group.paths.join(', ')}) hold ${total}.`,
      );
    }
    const buffer = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buffer.set(p, o);
      o += p.length;
    }
    let offset = 0;
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      const stored = w.quantization?.dtype ?? w.dtype;
      const len = count * BYTES[stored];
      const view = new DataView(buffer.buffer, offset, len);
      offset += len;
      let values: Float32Array | Int32Array;
      if (w.quantization) {
        const q = w.quantization;
        values = new Float32Array(count);
        for (let i = 0; i < count; i++) {
          if (q.dtype === 'float16') values[i] = halfToFloat(view.getUint16(i * 2, true));
          else {
            const raw = q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true);
            values[i] = raw * (q.scale ?? 1) + (q.min ?? 0);
          }
        }
        if ((q.original_dtype ?? w.dtype) === 'int32') values = Int32Array.from(values, Math.round);
      } else if (w.dtype === 'int32') {
        values = new Int32Array(count);
        for (let i = 0; i < count; i++) values[i] = view.getInt32(i * 4, true);
      } else if (w.dtype === 'bool') {
        values = new Int32Array(count);
        for (let i = 0; i < count; i++) values[i] = view.getUint8(i);
      } else {
        values = new Float32Array(count);
        for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
      }
      if (out.has(w.name)) throw new ValueError(`model.json lists weight '${w.name}' twice.`);
      out.set(w.name, { spec: w, values });
    }
  });
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Every layer with its own variables, nested models flattened. */
function weightedLayers(model: ModelLike): Layer[] {
  const out: Layer[] = [];
  const visit = (l: Layer) => {
    if (l.ownVariables.length > 0) out.push(l);
    for (const s of l.subLayers) visit(s);
  };
  for (const l of model.layers) visit(l);
  return out;
}

/**
 * Matches TF.js weights to the model's variables: by name (`<layer>/<weight>`) where the names agree,
 * otherwise by order among the weights whose names start with the layer's name. Shapes are checked.
 */
export function planTfjsWeightsLoad(
  model: ModelLike,
  weights: Map<string, { spec: TfjsWeightSpec; values: Float32Array | Int32Array }>,
): PendingAssignment[] {
  const out: PendingAssignment[] = [];
  const used = new Set<string>();
  for (const layer of weightedLayers(model)) {
    const prefixed = [...weights.keys()].filter((n) => n.startsWith(`${layer.name}/`) && !used.has(n));
    layer.ownVariables.forEach((v: Variable, i) => {
      const exact = `${layer.name}/${v.name}`;
      const name = weights.has(exact) ? exact : prefixed[i];
      if (!name) {
        throw new ValueError(
          `model.json has no weight for '${exact}' (layer "${layer.name}", ${layer.getClassName()}).`,
        );
      }
      const w = weights.get(name)!;
      if (!tf.util.arraysEqual(w.spec.shape, v.shape)) {
        throw new ValueError(
          `Layer "${layer.name}" weight '${v.name}' expects shape ${formatShape(v.shape)}, but model.json's '${name}' has shape ${formatShape(w.spec.shape)}.`,
        );
      }
      used.add(name);
      const values =
        v.dtype === 'int32'
          ? Int32Array.from(w.values)
          : w.values instanceof Float32Array
            ? w.values
            : Float32Array.from(w.values);
      out.push({ variable: v, values });
    });
  }
  const left = [...weights.keys()].filter((n) => !used.has(n));
  if (left.length)
    throw new ValueError(
      `model.json has weights the model does not use: ${left.slice(0, 10).join(', ')}${left.length > 10 ? ', …' : ''}.`,
    );
  return out;
}

/**
 * Converts a Keras 3 layer config to the Keras 2 dialect that TF.js Layers reads: `batch_input_shape`
 * for inputs, plain dtype strings, `[[name, node, tensor, kwargs]]` inbound nodes, no `module` keys.
 */
export function toKeras2Config(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(toKeras2Config);
  if (typeof json !== 'object' || json === null) return json;
  const obj = json as Record<string, unknown>;
  if (obj.class_name === 'DTypePolicy' || obj.class_name === 'FloatDTypePolicy') {
    return (obj.config as { name?: string } | undefined)?.name ?? 'float32';
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (
      k === 'module' ||
      k === 'registered_name' ||
      k === 'build_config' ||
      k === 'compile_config' ||
      k === 'shared_object_id'
    )
      continue;
    if (k === 'batch_shape') out.batch_input_shape = v;
    else if (k === 'inbound_nodes' && Array.isArray(v))
      out.inbound_nodes = v.map((node) => nodeToKeras2(node, String(obj.name)));
    else out[k] = toKeras2Config(v);
  }
  if (out.class_name === 'Functional') out.class_name = 'Model';
  return out;
}

function nodeToKeras2(node: unknown, layerName: string): unknown {
  const n = node as { args?: unknown[]; kwargs?: Record<string, unknown> };
  if (!n || !Array.isArray(n.args)) return node;
  const refs: unknown[] = [];
  const collect = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(collect);
    else if (isTensorRef(x)) {
      const h = (x as { config: { keras_history: [string, number, number] } }).config.keras_history;
      refs.push([h[0], h[1], h[2], {}]);
    }
  };
  collect(n.args);
  // The Keras 2 node format has no place for a tensor in a keyword argument; dropping it would save a
  // different model.
  for (const [key, value] of Object.entries(n.kwargs ?? {})) {
    if (holdsTensorRef(value)) {
      throw new ValueError(
        `Layer "${layerName}" takes a tensor in its keyword argument '${key}', which the TF.js Layers format ` +
          'cannot express. Save the model as a .keras file instead.',
      );
    }
  }
  return refs;
}

function isTensorRef(x: unknown): boolean {
  return !!x && typeof x === 'object' && (x as { class_name?: string }).class_name === '__keras_tensor__';
}

function holdsTensorRef(x: unknown): boolean {
  if (isTensorRef(x)) return true;
  if (Array.isArray(x)) return x.some(holdsTensorRef);
  if (x && typeof x === 'object') return Object.values(x).some(holdsTensorRef);
  return false;
}

/** Splits bytes into TF.js shards of at most `shardBytes` (TF.js's default is 4 MB). */
export function buildTfjsFiles(
  model: ModelLike,
  options: { shardBytes?: number; weightsPrefix?: string } = {},
): SavedFile[] {
  const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
  const prefix = options.weightsPrefix ?? 'group1';
  const specs: TfjsWeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const layer of weightedLayers(model)) {
    for (const v of layer.ownVariables) {
      const data = v.value.dataSync();
      const dtype = v.dtype === 'int32' ? 'int32' : 'float32';
      const arr = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
      specs.push({ name: `${layer.name}/${v.name}`, shape: v.shape.slice(), dtype });
      chunks.push(new Uint8Array(arr.buffer));
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const shards: SavedFile[] = [];
  for (let i = 0; i < count; i++) {
    shards.push({
      name: `${prefix}-shard${i + 1}of${count}.bin`,
      data: all.slice(i * shardBytes, Math.min(total, (i + 1) * shardBytes)),
    });
  }
  const json = serializeKerasObject('layer', model);
  // model.json has no assets: adapted vocabularies go into the config.
  inlineKerasAssets(json, model);
  const modelJson: TfjsModelJSON = {
    format: 'layers-model',
    generatedBy: 'Strata (Keras 3 for TypeScript)',
    convertedBy: null,
    modelTopology: {
      class_name: json.class_name === 'Functional' ? 'Model' : json.class_name,
      config: toKeras2Config(json.config) as Record<string, unknown>,
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: shards.map((s) => s.name), weights: specs }],
  };
  return [{ name: 'model.json', data: new TextEncoder().encode(stringifyJson(modelJson)) }, ...shards];
}
