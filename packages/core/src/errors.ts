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

/**
 * Raised when a mapping lacks a key, such as a checkpoint file name template naming a log that is not
 * there. As in Python, its message is the key in quotes.
 *
 * Keras: Python's `KeyError`
 *
 * @example
 * ```ts
 * const err = new KeyError('val_loss'); // what a template naming a missing log raises
 * err.message; // "'val_loss'"
 * err.key; // 'val_loss'
 * ```
 */
export class KeyError extends Error {
  override name = 'KeyError';

  /** The key that was not found (Python's `args[0]`). */
  readonly key: string;

  constructor(key: string) {
    super(`'${key}'`);
    this.key = key;
  }
}

/**
 * Raised when an index is out of range, such as a positional field (`{0}`) in a file name template,
 * which Keras fills by keyword only.
 *
 * Keras: Python's `IndexError`
 *
 * @example
 * ```ts
 * const err = new IndexError('Replacement index 0 out of range for positional args tuple');
 * err.name; // 'IndexError'
 * ```
 */
export class IndexError extends Error {
  override name = 'IndexError';
}

/** Formats a shape the way Keras prints it in messages: `(None, 28, 28, 1)`. */
export function formatShape(shape: readonly (number | null)[] | null | undefined): string {
  if (shape == null) return 'None';
  const parts = shape.map((d) => (d == null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}
