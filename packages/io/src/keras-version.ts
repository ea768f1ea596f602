/**
 * The Keras version Strata's files declare. Strata writes Keras 3's schema as Keras 3.6 and later write it
 * (per-layer DTypePolicy objects, `@name` on weight groups), so files say so and Keras reads them as such.
 */
export const KERAS_FORMAT_VERSION = '3.6.0';

/** Keras's `date_saved` format: `2024-11-03@12:44:27`. */
export function kerasDateSaved(date: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}@${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}
