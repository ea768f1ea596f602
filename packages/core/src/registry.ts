import { RegistryError } from './errors.js';
import { camelToSnake, snakeToCamel } from './naming.js';

/**
 * The kinds of things the registry holds (layers, activations, initializers, optimizers, losses, metrics,
 * callbacks, backends, ...).
 */
export type RegistryKind =
  | 'layer'
  | 'activation'
  | 'initializer'
  | 'regularizer'
  | 'constraint'
  | 'optimizer'
  | 'schedule'
  | 'loss'
  | 'metric'
  | 'callback'
  | 'backend'
  | 'io'
  | 'export';

/** Which Strata package registers the built-ins of each kind; named in unknown-name errors. */
const BUILTIN_PACKAGES: Record<RegistryKind, string> = {
  layer: '@strata/layers',
  activation: '@strata/layers',
  initializer: '@strata/layers',
  regularizer: '@strata/layers',
  constraint: '@strata/layers',
  optimizer: '@strata/optimizers',
  schedule: '@strata/optimizers',
  loss: '@strata/losses-metrics',
  metric: '@strata/losses-metrics',
  callback: '@strata/callbacks',
  backend: '@strata/backends',
  io: '@strata/io',
  export: '@strata/onnx',
};

/** Options of `register`: a third-party package prefix, aliases, and the module to import for the entry. */
export interface RegisterOptions {
  /** Third-party package prefix: the entry is stored as `package>name`, as Keras's `register_keras_serializable`. */
  package?: string;
  /** Extra names that resolve to the same entry (Keras string ids, camelCase aliases). */
  aliases?: string[];
  /** The npm module that registers this entry; written to configs and named in errors. */
  module?: string;
  /** Replace an existing entry instead of failing (for hot reload and tests). */
  override?: boolean;
}

/** One entry of the registry: its kind, key, value, aliases and the module that registered it. */
export interface RegistryEntry<T = unknown> {
  kind: RegistryKind;
  /** The canonical key: `Name` for built-ins, `package>Name` for third parties. */
  key: string;
  value: T;
  module: string;
  /** True for entries registered without a package prefix by Strata's own packages. */
  builtin: boolean;
  aliases: string[];
}

/**
 * One registry for every kind of plug-in. It lives on `globalThis` under a `Symbol.for` key, so that
 * two copies of @strata/core in one process still share it.
 *
 * Keras: Keras's global registry of serializable objects (`keras.saving.get_custom_objects`)
 *
 * @example
 * ```ts
 * registry.has('layer', 'Dense'); // true once @strata/layers is imported
 * registry.get('optimizer', 'adam'); // the Adam entry
 * ```
 */
export class Registry {
  private readonly entries = new Map<RegistryKind, Map<string, RegistryEntry>>();

  register<T>(kind: RegistryKind, name: string, value: T, options: RegisterOptions = {}): RegistryEntry<T> {
    if (!name)
      throw new RegistryError(
        `Cannot register a ${kind} without a name. Received: name=${JSON.stringify(name)}`,
      );
    const key = options.package ? `${options.package}>${name}` : name;
    const table = this.table(kind);
    const names = [key, ...(options.aliases ?? [])];
    if (!options.override) {
      for (const n of names) {
        const existing = table.get(n);
        if (existing && existing.value !== value) {
          throw new RegistryError(
            `A ${kind} named '${n}' is already registered (by ${existing.module}). ` +
              `Registering it again would silently replace it. Use another name or a package prefix ` +
              `(register(kind, name, value, { package: 'mypkg' }) gives 'mypkg>${name}'), or pass { override: true }.`,
          );
        }
      }
    }
    const entry: RegistryEntry<T> = {
      kind,
      key,
      value,
      module: options.module ?? (options.package ? options.package : BUILTIN_PACKAGES[kind]),
      builtin: !options.package,
      aliases: options.aliases ?? [],
    };
    for (const n of names) table.set(n, entry as RegistryEntry);
    return entry;
  }

  /** Removes an entry and its aliases. */
  unregister(kind: RegistryKind, name: string): boolean {
    const table = this.table(kind);
    const entry = table.get(name);
    if (!entry) return false;
    for (const [n, e] of [...table]) if (e === entry) table.delete(n);
    return true;
  }

  /** Finds an entry by its key, an alias, or the snake_case/camelCase form of either. */
  find<T = unknown>(kind: RegistryKind, name: string): RegistryEntry<T> | undefined {
    const table = this.table(kind);
    return (table.get(name) ?? table.get(camelToSnake(name)) ?? table.get(snakeToCamel(name))) as
      | RegistryEntry<T>
      | undefined;
  }

  has(kind: RegistryKind, name: string): boolean {
    return this.find(kind, name) !== undefined;
  }

  /** Looks up a name; unknown names fail with the kind, what is registered, and the package to import. */
  get<T = unknown>(kind: RegistryKind, name: string, hint?: { module?: string }): T {
    const entry = this.find<T>(kind, name);
    if (entry) return entry.value;
    throw new RegistryError(unknownNameMessage(kind, name, this.list(kind), hint?.module));
  }

  /** The canonical keys registered for a kind (aliases not repeated). */
  list(kind: RegistryKind): string[] {
    return [...new Set([...this.table(kind).values()].map((e) => e.key))].sort();
  }

  /** The entry whose value is `value` (used to serialize an object back to its registered name). */
  entryOf<T>(kind: RegistryKind, value: T): RegistryEntry<T> | undefined {
    for (const e of this.table(kind).values()) if (e.value === value) return e as RegistryEntry<T>;
    return undefined;
  }

  private table(kind: RegistryKind): Map<string, RegistryEntry> {
    let t = this.entries.get(kind);
    if (!t) {
      t = new Map();
      this.entries.set(kind, t);
    }
    return t;
  }
}

function unknownNameMessage(kind: RegistryKind, name: string, known: string[], module?: string): string {
  const shown =
    known.length > 40 ? `${known.slice(0, 40).join(', ')}, … (${known.length} in all)` : known.join(', ');
  let where: string;
  if (name.includes('>')) {
    const pkg = name.split('>')[0];
    where = module
      ? `'${name}' is registered by the plug-in package '${module}': import '${module}' before using it.`
      : `'${name}' comes from the third-party plug-in '${pkg}': import the package that registers it before using it.`;
  } else {
    where = `Built-in ${kind}s are registered by importing '${BUILTIN_PACKAGES[kind]}'${module && module !== BUILTIN_PACKAGES[kind] ? ` (the file names module '${module}')` : ''}.`;
  }
  return (
    `Unknown ${kind}: '${name}'. ${where} ` +
    (known.length ? `Registered ${kind}s: ${shown}.` : `No ${kind} is registered yet.`)
  );
}

const REGISTRY_KEY = Symbol.for('strata.registry');

function globalRegistry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  g[REGISTRY_KEY] ??= new Registry();
  return g[REGISTRY_KEY];
}

/** The process-wide registry. */
export const registry: Registry = globalRegistry();

/** Registers a plug-in value. A duplicate name fails loudly unless `override` is set. */
export function register<T>(
  kind: RegistryKind,
  name: string,
  value: T,
  options?: RegisterOptions,
): RegistryEntry<T> {
  return registry.register(kind, name, value, options);
}

/*
 * Typing by declaration merging. A package that registers names adds them here, e.g.
 *
 *   declare module '@strata/core' { interface OptimizerIds { 'acme>Lion2': true } }
 *
 * so that `compile({ optimizer: 'acme>Lion2' })` type-checks once it is imported.
 */
/**
 * The registered optimizer names, so string identifiers type-check: a package adds its names to this
 * interface by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface OptimizerIds {}
/**
 * The registered loss names, so string identifiers type-check: a package adds its names to this interface by
 * declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface LossIds {}
/**
 * The registered metric names, so string identifiers type-check: a package adds its names to this interface
 * by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface MetricIds {}
/**
 * The registered activation names, so string identifiers type-check: a package adds its names to this
 * interface by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface ActivationIds {}
/**
 * The registered initializer names, so string identifiers type-check: a package adds its names to this
 * interface by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface InitializerIds {}
/**
 * The registered regularizer names, so string identifiers type-check: a package adds its names to this
 * interface by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface RegularizerIds {}
/**
 * The registered constraint names, so string identifiers type-check: a package adds its names to this
 * interface by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface ConstraintIds {}
/**
 * The registered learning-rate schedule names, so string identifiers type-check: a package adds its names to
 * this interface by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface ScheduleIds {}
/**
 * The registered backend names, so string identifiers type-check: a package adds its names to this interface
 * by declaration merging.
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface BackendIds {}
