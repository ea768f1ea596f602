import { ValueError } from './errors.js';
import { camelToSnake, mapKeys, snakeToCamel } from './naming.js';
import { type RegistryKind, registry } from './registry.js';

/** A Keras 3 serialized object, as `config.json` holds it. */
export interface KerasObjectJSON {
  module: string | null;
  class_name: string;
  config: Record<string, unknown>;
  registered_name: string | null;
  build_config?: Record<string, unknown>;
  compile_config?: Record<string, unknown>;
  [key: string]: unknown;
}

/** An object with a Keras config (`getConfig()`). */
export interface Serializable {
  getConfig(): Record<string, unknown>;
}

/** A class that rebuilds an object from its config (`fromConfig`), as every registered class does. */
export interface SerializableClass<T = unknown> {
  new (...args: any[]): T;
  fromConfig(config: Record<string, any>): T;
}

/** The Python module Keras 3 writes for built-in objects of each kind. */
const KERAS_MODULES: Partial<Record<RegistryKind, string>> = {
  layer: 'keras.layers',
  initializer: 'keras.initializers',
  regularizer: 'keras.regularizers',
  constraint: 'keras.constraints',
  optimizer: 'keras.optimizers',
  schedule: 'keras.optimizers.schedules',
  loss: 'keras.losses',
  metric: 'keras.metrics',
  callback: 'keras.callbacks',
};

/** camelCase config (what `getConfig()` returns) -> Keras's snake_case config keys. */
export function configToKeras(config: Record<string, unknown>): Record<string, unknown> {
  return mapKeys(config, camelToSnake);
}

/** Keras's snake_case config keys -> camelCase constructor arguments. */
export function configFromKeras(config: Record<string, unknown>): Record<string, unknown> {
  return mapKeys(config, snakeToCamel);
}

/**
 * Serializes a registered object the way Keras 3's `serialize_keras_object` does:
 * `{module, class_name, config, registered_name}`, with snake_case config keys.
 */
export function serializeKerasObject(kind: RegistryKind, obj: Serializable): KerasObjectJSON {
  const ctor = (obj as object).constructor;
  const entry = registry.entryOf(kind, ctor);
  if (!entry) {
    throw new ValueError(
      `Cannot serialize ${kind} of class ${ctor.name}: it is not registered. ` +
        `Register it with register('${kind}', '${ctor.name}', ${ctor.name}, { package: 'mypkg' }).`,
    );
  }
  const thirdParty = entry.key.includes('>');
  const custom = obj as SerializationHooks;
  const json: KerasObjectJSON = {
    module: thirdParty ? entry.module : (custom.getKerasModule?.() ?? KERAS_MODULES[kind] ?? null),
    class_name: thirdParty ? entry.key.split('>')[1] : entry.key,
    config: custom.getKerasConfig ? custom.getKerasConfig() : configToKeras(obj.getConfig()),
    registered_name: thirdParty ? entry.key : (custom.getRegisteredName?.() ?? null),
  };
  const buildConfig = custom.getBuildConfig?.();
  if (buildConfig) json.build_config = buildConfig;
  const compileConfig = custom.getCompileConfig?.();
  if (compileConfig) json.compile_config = compileConfig;
  return json;
}

/** Optional methods an object may define to control how it is written (models use them). */
export interface SerializationHooks {
  /** The Python module Keras writes (e.g. 'keras.src.models.functional'). */
  getKerasModule?(): string;
  /** Keras's registered_name for a built-in that has one (Functional does). */
  getRegisteredName?(): string | null;
  /** The config already in Keras form (models build theirs from serialized layers). */
  getKerasConfig?(): Record<string, unknown>;
  getBuildConfig?(): Record<string, unknown> | null;
  getCompileConfig?(): Record<string, unknown> | null;
}

/** Whether a value is a Keras serialized object (`{ class_name, config, ... }`). */
export function isKerasObjectJSON(value: unknown): value is KerasObjectJSON {
  return typeof value === 'object' && value !== null && 'class_name' in value;
}

/**
 * Rebuilds an object from Keras 3 JSON (or a bare registered name such as `'glorot_uniform'`).
 * Nothing in the JSON is evaluated: the class comes from the registry or the call fails.
 */
export function deserializeKerasObject<T>(kind: RegistryKind, json: KerasObjectJSON | string): T {
  if (typeof json === 'string') {
    const value = registry.get<unknown>(kind, json);
    if (typeof value === 'function' && 'fromConfig' in value)
      return (value as SerializableClass<T>).fromConfig({});
    return value as T;
  }
  if (!isKerasObjectJSON(json)) {
    throw new ValueError(
      `Expected a Keras ${kind} object {class_name, config}. Received: ${JSON.stringify(json)}`,
    );
  }
  const name = json.registered_name ?? json.class_name;
  const cls = registry.get<SerializableClass<T>>(kind, name, { module: json.module ?? undefined });
  if (typeof cls !== 'function' || typeof (cls as SerializableClass<T>).fromConfig !== 'function') {
    throw new ValueError(`The ${kind} '${name}' cannot be rebuilt from a config (it has no fromConfig).`);
  }
  const fromKeras = (cls as unknown as { fromKerasConfig?: (c: Record<string, unknown>) => T })
    .fromKerasConfig;
  const obj = fromKeras
    ? fromKeras.call(cls, json.config ?? {})
    : cls.fromConfig(configFromKeras(json.config ?? {}));
  const withBuild = obj as { buildFromConfig?: (c: Record<string, unknown>) => void };
  if (json.build_config && typeof withBuild.buildFromConfig === 'function')
    withBuild.buildFromConfig(json.build_config);
  return obj;
}
