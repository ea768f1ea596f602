import { ValueError } from '@strata/core';

/**
 * Reads a padding or cropping amount for one spatial axis pair: an integer used on both sides, or
 * `[before, after]`; each non-negative.
 */
export function symmetricPair(value: unknown, name: string): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new ValueError(
      `The \`${name}\` argument must be a non-negative integer or a tuple of 2 non-negative integers. Received: ${name}=${JSON.stringify(value)}`,
    );
  }
  return [pair[0], pair[1]];
}

/**
 * Reads 2D padding or cropping: an integer (all four sides), `[h, w]` (symmetric per axis), or
 * `[[top, bottom], [left, right]]`.
 */
export function pairs2D(value: unknown, name: string): [[number, number], [number, number]] {
  if (typeof value === 'number') return [symmetricPair(value, name), symmetricPair(value, name)];
  if (Array.isArray(value) && value.length === 2) {
    try {
      return [symmetricPair(value[0], name), symmetricPair(value[1], name)];
    } catch {
      // fall through to the message naming the whole value
    }
  }
  throw new ValueError(
    `\`${name}\` should be either an int, a tuple of 2 ints (symmetric_height, symmetric_width), or a tuple of 2 tuples of 2 ints ` +
      `((top, bottom), (left, right)). Received: ${name}=${JSON.stringify(value)}`,
  );
}

/** Keras's `standardize_tuple` for positive sizes: one integer repeated `n` times, or `n` integers. */
export function positiveTuple(value: unknown, n: number, name: string): number[] {
  const tuple = typeof value === 'number' ? new Array<number>(n).fill(value) : value;
  if (!Array.isArray(tuple) || tuple.length !== n || tuple.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new ValueError(
      `The \`${name}\` argument must be a tuple of ${n} positive integers. Received: ${name}=${JSON.stringify(value)}`,
    );
  }
  return tuple.slice();
}
