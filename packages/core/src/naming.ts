/** Keras's `to_snake_case`: `Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`. */
export function toSnakeCase(name: string): string {
  let s = name.replace(/\W+/g, '');
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  return s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Keras config keys are snake_case; these keys do not follow the plain camelCase rule. */
const CAMEL_TO_SNAKE_EXCEPTIONS: Record<string, string> = { beta1: 'beta_1', beta2: 'beta_2' };
const SNAKE_TO_CAMEL_EXCEPTIONS: Record<string, string> = Object.fromEntries(
  Object.entries(CAMEL_TO_SNAKE_EXCEPTIONS).map(([k, v]) => [v, k]),
);

/** `kernelInitializer` -> `kernel_initializer` (config keys). */
export function camelToSnake(key: string): string {
  return CAMEL_TO_SNAKE_EXCEPTIONS[key] ?? key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** `kernel_initializer` -> `kernelInitializer` (config keys). */
export function snakeToCamel(key: string): string {
  return SNAKE_TO_CAMEL_EXCEPTIONS[key] ?? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function mapKeys(obj: Record<string, unknown>, fn: (k: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[fn(k)] = v;
  return out;
}

const UID_KEY = Symbol.for('strata.uids');
type UidState = Map<string, number>;

function uidState(): UidState {
  const g = globalThis as unknown as Record<symbol, UidState>;
  g[UID_KEY] ??= new Map();
  return g[UID_KEY];
}

/**
 * Keras's auto naming: the first `dense` is `dense`, then `dense_1`, `dense_2`, ...
 * Names are unique per process (the counter is global, as Keras's is).
 */
export function uniqueName(prefix: string): string {
  const uids = uidState();
  const n = uids.get(prefix) ?? 0;
  uids.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

/** Resets the auto-naming counters (Keras's `clear_session`). */
export function resetUniqueNames(): void {
  uidState().clear();
}

/** Takes a copy of the auto-naming counters; calling the result puts them back as they were. */
export function saveUniqueNames(): () => void {
  const saved = new Map(uidState());
  return () => {
    const uids = uidState();
    uids.clear();
    for (const [k, v] of saved) uids.set(k, v);
  };
}
