import { checkArgumentNames } from './argument-names.js';
import { saveUniqueNames } from './naming.js';

/** The arguments every layer takes (Keras's base `Layer` keyword arguments, camelCase). */
export const BASE_LAYER_ARGUMENTS = [
  'name',
  'trainable',
  'dtype',
  'inputShape',
  'batchSize',
  'batchInputShape',
  'batchShape',
  'inputDim',
];

interface ConfigurableLayer {
  getConfig(): Record<string, unknown>;
  weights: { dispose(): void }[];
}

type LayerConstructor = (new (
  args: object,
) => ConfigurableLayer) & {
  className?: string;
  /** False for classes that check their own arguments (models, whose config is a graph). */
  checksArguments?: boolean;
  /** Arguments a class takes that its config writes under another name (InputLayer's `shape`). */
  extraArguments?: readonly string[];
};

/** Argument names each layer class is known to take: its config keys, learnt from instances. */
const knownArguments = new WeakMap<LayerConstructor, Set<string>>();
let suspended = 0;

/** Runs `fn` without the unknown-argument check, for layers rebuilt from a file's config. */
export function withoutArgumentCheck<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

function holdsLayerObject(args: Record<string, unknown>): boolean {
  return Object.values(args).some(
    (v) => typeof v === 'object' && v !== null && typeof (v as ConfigurableLayer).getConfig === 'function',
  );
}

/**
 * Rejects constructor arguments a layer does not take, as Keras rejects unknown keyword arguments. What a
 * layer takes is what its `getConfig()` returns plus the base layer arguments: every constructor argument
 * of a serializable layer is in its config, since the config must rebuild it. The first time a class sees
 * an argument it does not know yet, it learns its config keys from a throwaway instance built from the same
 * arguments (with the auto-naming counters restored after), so each layer class gets the check without
 * declaring anything. Layers that keep the base `getConfig` (most user-written ones) are not checked, nor are
 * arguments that hold layer objects (a wrapper's inner layer must not be shared with a throwaway wrapper).
 */
export function checkLayerArguments(
  cls: LayerConstructor,
  args: object | null | undefined,
  baseGetConfig: () => Record<string, unknown>,
): void {
  if (suspended > 0 || args == null || typeof args !== 'object') return;
  if (cls.prototype.getConfig === baseGetConfig || cls.checksArguments === false) return;
  let known = knownArguments.get(cls);
  if (!known) {
    known = new Set([...BASE_LAYER_ARGUMENTS, ...(cls.extraArguments ?? [])]);
    knownArguments.set(cls, known);
  }
  const record = args as Record<string, unknown>;
  // null stands for "the default" (and intermediate classes pass it on for arguments they fix).
  const unseen = Object.keys(record).filter((k) => record[k] != null && !known.has(k));
  if (unseen.length === 0) return;
  if (holdsLayerObject(record)) return;
  const restoreNames = saveUniqueNames();
  let configKeys: string[];
  suspended++;
  try {
    const probe = new cls({ ...record, name: record.name ?? '__strata_argument_probe__' });
    try {
      configKeys = Object.keys(probe.getConfig());
    } finally {
      for (const w of new Set(probe.weights)) w.dispose();
    }
  } catch {
    // The arguments fail on their own: the real construction reports that error.
    return;
  } finally {
    suspended--;
    restoreNames();
  }
  for (const k of configKeys) known.add(k);
  const given = Object.fromEntries(Object.entries(record).filter(([, v]) => v != null));
  checkArgumentNames(given, known, cls.className ?? cls.name);
}
