import { type RegistryKind, registry } from './registry.js';
import { deserializeKerasObject, isKerasObjectJSON, type KerasObjectJSON } from './serialization.js';

function isRegisteredClass(value: unknown): value is { new (args?: unknown): unknown; fromConfig: unknown } {
  return typeof value === 'function' && 'fromConfig' in value;
}

/**
 * Resolves a user-facing identifier through the registry: an instance (or function) is returned as is,
 * a string names a registered class (instantiated with its defaults) or value, and Keras JSON is rebuilt.
 */
export function resolveIdentifier<T>(
  kind: RegistryKind,
  identifier: T | string | KerasObjectJSON | null | undefined,
): T | null {
  if (identifier == null) return null;
  if (typeof identifier === 'string') {
    const value = registry.get<unknown>(kind, identifier);
    return (isRegisteredClass(value) ? new value({}) : value) as T;
  }
  if (isKerasObjectJSON(identifier)) return deserializeKerasObject<T>(kind, identifier);
  return identifier as T;
}

/** The registered name of a value (a function or a class instance), or null when it is not registered. */
export function registeredNameOf(kind: RegistryKind, value: unknown): string | null {
  if (value == null) return null;
  const target = typeof value === 'function' ? value : (value as object).constructor;
  return registry.entryOf(kind, target)?.key ?? null;
}
