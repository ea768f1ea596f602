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

/** Class names older files use for the same model classes. */
const MODEL_ALIASES: Record<string, string> = { Model: 'Functional' };

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
      const name =
        typeof obj.registered_name === 'string' ? obj.registered_name : (MODEL_ALIASES[cls] ?? cls);
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
  const cls = MODEL_ALIASES[obj.class_name] ?? obj.class_name;
  const keras: KerasObjectJSON = {
    module: (obj.module as string | null) ?? null,
    class_name: cls,
    config: obj.config as Record<string, unknown>,
    registered_name: (obj.registered_name as string | null) ?? null,
  };
  if (obj.build_config) keras.build_config = obj.build_config as Record<string, unknown>;
  if (keras.registered_name && MODEL_ALIASES[keras.registered_name])
    keras.registered_name = MODEL_ALIASES[keras.registered_name];
  const model = deserializeKerasObject<Layer>('layer', keras);
  if (!Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ValueError(
      `The config describes a ${cls}, not a model. Use deserializeKerasObject('layer', …) for single layers.`,
    );
  }
  return model as unknown as Model;
}
