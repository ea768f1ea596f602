import { type ActivationIds, RegistryError, registeredNameOf, registry, ValueError } from '@strata/core';

import type { ActivationFn } from './activations.js';

export * from './activations.js';

/** What layers accept for `activation`: a registered name, a function, Keras JSON, or null (linear). */
export type ActivationIdentifier =
  | keyof ActivationIds
  | (string & {})
  | ActivationFn
  | { class_name: string; config: unknown; registered_name?: string | null; module?: string | null }
  | null;

/**
 * Keras's `activations.get`: resolves a name (snake_case or camelCase), a function or Keras JSON to the
 * activation function; null and undefined mean linear. Unknown names fail at once.
 */
export function getActivation(identifier: ActivationIdentifier | undefined): ActivationFn {
  if (identifier == null) return registry.get<ActivationFn>('activation', 'linear');
  if (typeof identifier === 'function') return identifier;
  let name: unknown = identifier;
  if (typeof identifier === 'object') {
    // Keras 3 writes a function as {class_name: 'function', config: 'relu', registered_name: 'function'};
    // a third-party one carries its 'package>name' in registered_name.
    const registered = identifier.registered_name;
    if (identifier.class_name !== 'function') name = identifier.class_name;
    else name = registered?.includes('>') ? registered : identifier.config;
  }
  if (typeof name !== 'string') {
    throw new ValueError(
      `Could not interpret activation function identifier. Received: activation=${JSON.stringify(identifier)}`,
    );
  }
  try {
    return registry.get<ActivationFn>('activation', name);
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    throw new ValueError(
      `Could not interpret activation function identifier. Received: activation=${name}. ${e.message}`,
    );
  }
}

/** Keras's `activations.serialize`: the registered name, as Keras 3 writes it in layer configs. */
export function serializeActivation(fn: ActivationFn): string {
  const name = registeredNameOf('activation', fn);
  if (name == null) {
    throw new ValueError(
      `Cannot serialize the activation function '${fn.name || '<anonymous>'}': it is not registered. ` +
        `Register it with register('activation', 'my_fn', fn, { package: 'mypkg' }) to save layers that use it.`,
    );
  }
  return name;
}
