/** Raised when a value does not fit what an API expects (Keras's ValueError). */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** Raised when a registry lookup fails or a name is registered twice. */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** Raised when an operation needs state that is not there yet (for example fit before compile). */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** Raised where a feature exists in Keras but not (yet) in Strata; never silently ignored. */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
}

/** Formats a shape the way Keras prints it in messages: `(None, 28, 28, 1)`. */
export function formatShape(shape: readonly (number | null)[] | null | undefined): string {
  if (shape == null) return 'None';
  const parts = shape.map((d) => (d == null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}
