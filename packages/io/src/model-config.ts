import {
  deserializeKerasObject,
  type KerasObjectJSON,
  type Layer,
  type Model,
  RegistryError,
  registry,
  ValueError,
} from '@strata/core';

/** Classes whose configs carry Python code (bytecode or source). Strata never runs code from a file. */
const CODE_CLASSES = new Set(['Lambda', 'TFOpLambda', 'SlicingOpLambda', '__lambda__']);

/** Class names older files use for the same model classes (a Map: names from a file never reach built-ins). */
const MODEL_ALIASES = new Map([['Model', 'Functional']]);

function aliasOf(name: string): string {
  return MODEL_ALIASES.get(name) ?? name;
}

/**
 * Rejects configs that would need code to run, and names every layer class that is not registered, before
 * anything is built. Bounded in depth, so a hostile config cannot exhaust the stack.
 */
export function checkModelConfig(json: unknown): void {
  rejectCode(json, 0);
  const unknown = new Map<string, string>();
  const modules = new Map<string, string>();
  const visitLayer = (node: unknown, depth: number): void => {
    if (depth > 64 || typeof node !== 'object' || node === null || Array.isArray(node)) return;
    const obj = node as Record<string, unknown>;
    const config = (typeof obj.config === 'object' && obj.config !== null ? obj.config : {}) as Record<
      string,
      unknown
    >;
    if (typeof obj.class_name === 'string') {
      const cls = obj.class_name;
      const name = typeof obj.registered_name === 'string' ? obj.registered_name : aliasOf(cls);
      if (!registry.has('layer', name) && !registry.has('layer', cls)) {
        unknown.set(name, typeof config.name === 'string' ? config.name : '?');
        // A third-party class names the npm package that registers it in `module`.
        if (name.includes('>') && typeof obj.module === 'string') modules.set(name, obj.module);
      }
    }
    if (Array.isArray(config.layers)) for (const l of config.layers) visitLayer(l, depth + 1);
    for (const key of ['layer', 'forward_layer', 'backward_layer', 'cell'])
      visitLayer(config[key], depth + 1);
  };
  visitLayer(json, 0);
  if (unknown.size > 0) {
    const list = [...unknown].map(([cls, name]) => `${cls} (layer "${name}")`).join(', ');
    const imports = [...modules]
      .map(([cls, mod]) => ` '${cls}' is registered by '${mod}': import '${mod}' first.`)
      .join('');
    throw new RegistryError(
      `The model uses layer classes that are not registered: ${list}. Built-in layers are registered by importing ` +
        `'@strata/layers'; a third-party layer by importing the package that registers it.${imports} Nothing was loaded.`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
const SHAPE_KEYS = ['batch_shape', 'batch_input_shape', 'input_shape'];

/** A shape: a list of null or non-negative integers; or (build_config) a list or record of shapes. */
function checkShape(value: unknown, field: string, where: string, nested: boolean): void {
  if (Array.isArray(value) && value.every((d) => d === null || typeof d === 'number')) {
    for (const d of value) {
      if (d !== null && !(Number.isSafeInteger(d) && d >= 0)) {
        throw new ValueError(
          `${where}: \`${field}\` should list dimensions that are null or non-negative integers. Received: ${field}=${JSON.stringify(value).slice(0, 200)}`,
        );
      }
    }
    return;
  }
  if (nested && Array.isArray(value)) {
    for (const v of value) checkShape(v, field, where, false);
    return;
  }
  if (nested && isPlainObject(value)) {
    for (const v of Object.values(value)) checkShape(v, field, where, false);
    return;
  }
  throw new ValueError(
    `${where}: \`${field}\` should be a list of dimensions, such as [null, 28, 28]. Received: ${field}=${describe(value)}`,
  );
}

/**
 * Checks the parts of a model config that the builders index into: their types, non-empty outputs, and
 * shapes; so a malformed file fails with a ValueError that names the field, never a TypeError from deep
 * inside a constructor.
 */
function checkModelStructure(obj: Record<string, unknown>, where: string, depth: number): void {
  if (depth > 64) throw new ValueError('The model config nests models more than 64 levels deep.');
  const cls = String(obj.class_name);
  if (!isPlainObject(obj.config))
    throw new ValueError(
      `${where}: \`config\` should be an object. Received: config=${describe(obj.config)}`,
    );
  const config = obj.config;
  const name = typeof config.name === 'string' ? `${cls} "${config.name}"` : cls;
  if (obj.build_config !== undefined && obj.build_config !== null) {
    if (!isPlainObject(obj.build_config))
      throw new ValueError(
        `${name}: \`build_config\` should be an object. Received: ${describe(obj.build_config)}`,
      );
    if (obj.build_config.input_shape != null)
      checkShape(obj.build_config.input_shape, 'build_config.input_shape', name, true);
  }
  for (const key of SHAPE_KEYS) if (config[key] != null) checkShape(config[key], key, name, false);
  if (!MODEL_CLASSES.has(cls)) {
    for (const key of ['layer', 'forward_layer', 'backward_layer', 'cell']) {
      const inner = config[key];
      if (isPlainObject(inner) && typeof inner.class_name === 'string')
        checkModelStructure(inner, `${name}'s \`${key}\``, depth + 1);
    }
    return;
  }
  if (!Array.isArray(config.layers))
    throw new ValueError(
      `${name}: \`layers\` should be a list of layer configs. Received: layers=${describe(config.layers)}`,
    );
  config.layers.forEach((layer, i) => {
    if (!isPlainObject(layer) || typeof layer.class_name !== 'string') {
      throw new ValueError(
        `${name}: \`layers[${i}]\` should be a layer config {class_name, config}. Received: ${describe(layer)}`,
      );
    }
    if (cls !== 'Sequential') {
      const lc = layer.config as Record<string, unknown> | undefined;
      if (!isPlainObject(lc) || typeof lc.name !== 'string')
        throw new ValueError(
          `${name}: \`layers[${i}].config.name\` should be a string (functional layers are found by name).`,
        );
      if (Array.isArray(layer.inbound_nodes))
        checkInboundNodes(layer.inbound_nodes, name, `layers[${i}].inbound_nodes`);
      if (layer.inbound_nodes != null && !Array.isArray(layer.inbound_nodes))
        throw new ValueError(
          `${name}: \`layers[${i}].inbound_nodes\` should be a list. Received: ${describe(layer.inbound_nodes)}`,
        );
    }
    checkModelStructure(layer, `${name}: \`layers[${i}]\``, depth + 1);
  });
  if (cls === 'Sequential') return;
  for (const key of ['input_layers', 'output_layers']) {
    const refs = config[key];
    const empty = Array.isArray(refs)
      ? refs.length === 0
      : isPlainObject(refs) && Object.keys(refs).length === 0;
    if (!Array.isArray(refs) && !isPlainObject(refs))
      throw new ValueError(
        `${name}: \`${key}\` should be a list of [layer_name, node_index, tensor_index]. Received: ${key}=${describe(refs)}`,
      );
    const leaves = Array.isArray(refs) && typeof refs[0] === 'string' ? [refs] : Object.values(refs);
    for (const [k, ref] of leaves.entries()) checkTensorRef(ref, name, `${key}[${k}]`);
    if (empty)
      throw new ValueError(
        `${name}: \`${key}\` is empty; a functional model needs at least one ${key === 'input_layers' ? 'input' : 'output'}. Received: ${key}=[]`,
      );
  }
}

/** A reference to a layer's output: [layer_name, node_index, tensor_index]. */
function checkTensorRef(ref: unknown, owner: string, field: string): void {
  if (
    !Array.isArray(ref) ||
    ref.length < 3 ||
    typeof ref[0] !== 'string' ||
    !Number.isSafeInteger(ref[1]) ||
    !Number.isSafeInteger(ref[2]) ||
    ref[1] < 0 ||
    ref[2] < 0
  ) {
    throw new ValueError(
      `${owner}: \`${field}\` should be [layer_name, node_index, tensor_index]. Received: ${JSON.stringify(ref)?.slice(0, 200)}`,
    );
  }
}

/** Keras 3 nodes are {args, kwargs} with tensors as __keras_tensor__ objects; Keras 2 nodes are lists of refs. */
function checkInboundNodes(nodes: unknown[], owner: string, where: string): void {
  const visit = (value: unknown, at: string, depth: number): void => {
    if (depth > 32 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, `${at}[${i}]`, depth + 1);
      return;
    }
    const obj = value as Record<string, unknown>;
    if (obj.class_name === '__keras_tensor__') {
      const history = isPlainObject(obj.config) ? obj.config.keras_history : undefined;
      checkTensorRef(history, owner, `${at}.config.keras_history`);
      return;
    }
    for (const [k, v] of Object.entries(obj)) visit(v, `${at}.${k}`, depth + 1);
  };
  nodes.forEach((node, n) => {
    const at = `${where}[${n}]`;
    if (Array.isArray(node)) {
      for (const [k, ref] of node.entries()) checkTensorRef(ref, owner, `${at}[${k}]`);
      return;
    }
    if (!isPlainObject(node) || !Array.isArray(node.args))
      throw new ValueError(
        `${owner}: \`${at}\` should be {args: [...], kwargs: {...}}. Received: ${describe(node)}`,
      );
    if (node.kwargs != null && !isPlainObject(node.kwargs))
      throw new ValueError(
        `${owner}: \`${at}.kwargs\` should be an object. Received: ${describe(node.kwargs)}`,
      );
    visit(node.args, `${at}.args`, 0);
    visit(node.kwargs, `${at}.kwargs`, 0);
  });
}

function rejectCode(node: unknown, depth: number): void {
  if (depth > 256) throw new ValueError('The model config nests more than 256 levels deep.');
  if (Array.isArray(node)) {
    for (const item of node) rejectCode(item, depth + 1);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  if (typeof obj.class_name === 'string' && CODE_CLASSES.has(obj.class_name)) {
    const name = (obj.config as { name?: unknown } | undefined)?.name;
    throw new ValueError(
      `The model contains a ${obj.class_name} layer${typeof name === 'string' ? ` ("${name}")` : ''}, which holds Python code. ` +
        'Strata never runs code from a model file. Replace it with a registered layer class and save the model again.',
    );
  }
  for (const v of Object.values(obj)) rejectCode(v, depth + 1);
}

/**
 * Builds a model from its Keras JSON: a `config.json` object (Keras 3), a legacy `{class_name, config}`
 * (tf.keras 2, as in .h5 files and TF.js's modelTopology), or a TF.js model.json. The class comes from the
 * registry; nothing in the JSON is evaluated.
 */
export function modelFromJSON(json: unknown): Model {
  if (typeof json === 'string') json = JSON.parse(json);
  if (typeof json !== 'object' || json === null)
    throw new ValueError(`A model config should be a JSON object. Received: ${typeof json}`);
  let obj = json as Record<string, unknown>;
  if ('modelTopology' in obj) obj = obj.modelTopology as Record<string, unknown>;
  if (obj && 'model_config' in obj && !('class_name' in obj))
    obj = obj.model_config as Record<string, unknown>;
  if (!obj || typeof obj.class_name !== 'string' || typeof obj.config !== 'object') {
    throw new ValueError("A model config needs `class_name` and `config` (Keras's config.json schema).");
  }
  checkModelConfig(obj);
  checkModelStructure(obj, 'the model config', 0);
  const cls = aliasOf(obj.class_name);
  const keras: KerasObjectJSON = {
    module: (obj.module as string | null) ?? null,
    class_name: cls,
    config: obj.config as Record<string, unknown>,
    registered_name: (obj.registered_name as string | null) ?? null,
  };
  if (obj.build_config) keras.build_config = obj.build_config as Record<string, unknown>;
  if (keras.registered_name) keras.registered_name = aliasOf(keras.registered_name);
  const model = deserializeKerasObject<Layer>('layer', keras);
  if (!Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ValueError(
      `The config describes a ${cls}, not a model. Use deserializeKerasObject('layer', …) for single layers.`,
    );
  }
  return model as unknown as Model;
}
