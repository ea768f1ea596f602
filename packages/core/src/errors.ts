/**
 * Raised when a value does not fit what an API expects (Keras's ValueError).
 *
 * Keras: Python's `ValueError`
 *
 * @example
 * ```ts
 * try {
 *   new Dense({ units: -1 });
 * } catch (e) {
 *   if (e instanceof ValueError) console.log(e.message); // '... Received: units=-1'
 * }
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
 * try {
 *   model.compile({ optimizer: 'adamm' as 'adam', loss: 'mse' });
 * } catch (e) {
 *   if (e instanceof RegistryError) console.log(e.message); // names what is registered
 * }
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
 * try {
 *   await model.fit(x, y); // before compile()
 * } catch (e) {
 *   if (e instanceof RuntimeError) console.log(e.message);
 * }
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
 * try {
 *   model.export('model.onnx');
 * } catch (e) {
 *   if (e instanceof NotImplementedError) console.log(e.message);
 * }
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
