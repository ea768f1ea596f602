/**
 * Raised when a value does not fit what an API expects (Keras's ValueError).
 *
 * Keras: Python's `ValueError`
 *
 * @example
 * ```ts
 * let caught: unknown;
 * try {
 *   new Dense({ units: -1 });
 * } catch (e) {
 *   caught = e;
 * }
 * caught instanceof ValueError; // true
 * (caught as Error).message.endsWith('Received: units=-1'); // true
 * ```
 */
export class ValueError extends Error {
  override name = 'ValueError';
}

/**
 * Raised when a registry lookup fails or a name is registered twice.
 *
 * Keras: the error `keras.saving.get_registered_object` users see for an unknown name
 *
 * @example
 * ```ts
 * let caught: unknown;
 * try {
 *   model.compile({ optimizer: 'adamm' as 'adam', loss: 'mse' }); // a typo
 * } catch (e) {
 *   caught = e;
 * }
 * caught instanceof RegistryError; // true
 * (caught as Error).message; // names the optimizers that are registered
 * ```
 */
export class RegistryError extends Error {
  override name = 'RegistryError';
}

/**
 * Raised when an operation needs state that is not there yet (for example fit before compile).
 *
 * Keras: Python's `RuntimeError`
 *
 * @example
 * ```ts
 * const fresh = new Sequential([new Dense({ units: 10, inputShape: [100] })]);
 * let caught: unknown;
 * try {
 *   await fresh.fit(x, y); // before compile()
 * } catch (e) {
 *   caught = e;
 * }
 * caught instanceof RuntimeError; // true
 * ```
 */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * Raised where a feature exists in Keras but not (yet) in Strata; never silently ignored.
 *
 * Keras: Python's `NotImplementedError`
 *
 * @example
 * ```ts
 * let caught: unknown;
 * try {
 *   new Resizing({ height: 8, width: 8, antialias: true });
 * } catch (e) {
 *   caught = e;
 * }
 * caught instanceof NotImplementedError; // true
 * ```
 */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
}

/** Formats a shape the way Keras prints it in messages: `(None, 28, 28, 1)`. */
export function formatShape(shape: readonly (number | null)[] | null | undefined): string {
  if (shape == null) return 'None';
  const parts = shape.map((d) => (d == null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}
