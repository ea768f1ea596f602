import { checkArgumentNames } from './argument-names.js';
import { saveUniqueNames } from './naming.js';

/**
 * The arguments every layer takes (Keras's base `Layer` keyword arguments, camelCase, with Keras 2's
 * `inputDim`). A layer that splits its arguments between itself and a part it builds (an RNN and its cell)
 * keeps these.
 */
export const BASE_LAYER_ARGUMENTS: readonly string[] = [
  'name',
  'trainable',
  'dtype',
  'inputShape',
  'batchSize',
  'batchInputShape',
  'batchShape',
  'inputDim',
  'activityRegularizer',
];

/** Optimizer, Loss and Metric base arguments (camelCase); their subclasses add their own. */
export const BASE_OPTIMIZER_ARGUMENTS = [
  'name',
  'learningRate',
  'weightDecay',
  'clipnorm',
  'clipvalue',
  'globalClipnorm',
  'useEma',
  'emaMomentum',
  'emaOverwriteFrequency',
  'lossScaleFactor',
  'gradientAccumulationSteps',
];
export const BASE_LOSS_ARGUMENTS = ['name', 'reduction', 'dtype'];
export const BASE_METRIC_ARGUMENTS = ['name', 'dtype'];

interface Configurable {
  getConfig(): Record<string, unknown>;
  weights?: { dispose(): void }[];
  dispose?(): void;
}

type ConfigurableConstructor = (new (
  args: object,
) => Configurable) & {
  className?: string;
  /** False for classes that check their own arguments (models, whose config is a graph). */
  checksArguments?: boolean;
  /** Arguments a class takes that its config writes under another name (InputLayer's `shape`). */
  extraArguments?: readonly string[];
};

/** Argument names each class is known to take: its config keys, learnt from instances. */
const knownArguments = new WeakMap<ConfigurableConstructor, Set<string>>();
let suspended = 0;

/** Runs `fn` without the unknown-argument check, for objects rebuilt from a file's config. */
export function withoutArgumentCheck<T>(fn: () => T): T {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

function holdsConfigurable(args: Record<string, unknown>): boolean {
  return Object.values(args).some(
    (v) => typeof v === 'object' && v !== null && typeof (v as Configurable).getConfig === 'function',
  );
}

/** Frees what a throwaway instance made: a layer's weights (its sub-layers' included), or its own state. */
function release(probe: Configurable): void {
  if (Array.isArray(probe.weights)) for (const w of new Set(probe.weights)) w.dispose();
  else probe.dispose?.();
}

/**
 * Rejects constructor arguments a class does not take, as Keras rejects unknown keyword arguments. What a
 * class takes is what its `getConfig()` returns plus its base class's arguments: every constructor
 * argument of a serializable object is in its config, since the config must rebuild it. The first time a
 * class sees an argument it does not know yet, it learns its config keys from a throwaway instance built
 * from the same arguments (the auto-naming counters are restored after, and what the instance allocated is
 * freed), so every layer, optimizer, loss and metric gets the check without declaring anything. Classes
 * that keep the base `getConfig` (most user-written layers) are not checked, nor are arguments that hold
 * configurable objects (a wrapper's inner layer must not be shared with a throwaway wrapper), nor
 * arguments whose value is null (the default, which intermediate classes pass on for what they fix).
 */
export function checkArgumentsAgainstConfig(
  cls: ConfigurableConstructor,
  args: object | null | undefined,
  baseArguments: readonly string[],
  baseGetConfig?: () => Record<string, unknown>,
): void {
  if (suspended > 0 || args == null || typeof args !== 'object') return;
  if (cls.checksArguments === false || (baseGetConfig && cls.prototype.getConfig === baseGetConfig)) return;
  let known = knownArguments.get(cls);
  if (!known) {
    known = new Set([...baseArguments, ...(cls.extraArguments ?? [])]);
    knownArguments.set(cls, known);
  }
  const record = args as Record<string, unknown>;
  const unseen = Object.keys(record).filter((k) => record[k] != null && !known.has(k));
  if (unseen.length === 0) return;
  if (holdsConfigurable(record)) return;
  const restoreNames = saveUniqueNames();
  let configKeys: string[];
  suspended++;
  try {
    const probe = new cls({ ...record, name: record.name ?? '__strata_argument_probe__' });
    try {
      configKeys = Object.keys(probe.getConfig());
    } finally {
      release(probe);
    }
  } catch {
    // The arguments fail on their own (or the config cannot be written): the real construction decides.
    return;
  } finally {
    suspended--;
    restoreNames();
  }
  for (const k of configKeys) known.add(k);
  const given = Object.fromEntries(Object.entries(record).filter(([, v]) => v != null));
  checkArgumentNames(given, known, cls.className ?? cls.name);
}

/** The check for layers (see `checkArgumentsAgainstConfig`). */
export function checkLayerArguments(
  cls: ConfigurableConstructor,
  args: object | null | undefined,
  baseGetConfig: () => Record<string, unknown>,
): void {
  checkArgumentsAgainstConfig(cls, args, BASE_LAYER_ARGUMENTS, baseGetConfig);
}
