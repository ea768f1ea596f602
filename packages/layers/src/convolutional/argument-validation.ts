import { ValueError } from '@strata/core';

/** Keras's image layouts: `(batch, ..., channels)` or `(batch, channels, ...)`. */
export type DataFormat = 'channels_last' | 'channels_first';

/** Padding modes of convolution and pooling; `causal` is Conv1D's only. */
export type PaddingMode = 'valid' | 'same' | 'causal';

function formatTuple(value: unknown): string {
  return Array.isArray(value) ? `(${value.join(', ')}${value.length === 1 ? ',' : ''})` : String(value);
}

/**
 * Keras's `standardize_tuple`: one integer repeated `n` times, or a list of exactly `n` integers, each
 * positive (or non-negative when `allowZero`).
 */
export function standardizeTuple(
  value: number | readonly number[],
  n: number,
  name: string,
  allowZero = false,
): number[] {
  const message = `The \`${name}\` argument must be a tuple of ${n} integers. Received ${name}=${formatTuple(value)}`;
  let tuple: number[];
  if (typeof value === 'number') {
    tuple = new Array<number>(n).fill(value);
  } else if (Array.isArray(value) && value.length === n) {
    tuple = value.slice();
  } else {
    throw new ValueError(message);
  }
  const notInteger = tuple.filter((v) => typeof v !== 'number' || !Number.isInteger(v));
  if (notInteger.length > 0)
    throw new ValueError(`${message}, including element ${notInteger[0]} that is not an integer`);
  const bad = [...new Set(tuple.filter((v) => (allowZero ? v < 0 : v <= 0)))];
  if (bad.length > 0) {
    throw new ValueError(
      `${message}, including values {${bad.join(', ')}} that do not satisfy \`value ${allowZero ? '>= 0' : '> 0'}\``,
    );
  }
  return tuple;
}

/** Keras's `standardize_padding`: case-insensitive `valid` or `same` (and `causal` where allowed). */
export function standardizePadding(value: string, allowCausal = false): PaddingMode {
  const allowed = allowCausal ? ['valid', 'same', 'causal'] : ['valid', 'same'];
  const padding = typeof value === 'string' ? value.toLowerCase() : value;
  if (typeof padding !== 'string' || !allowed.includes(padding)) {
    throw new ValueError(
      `The \`padding\` argument must be one of {${allowed.map((a) => `"${a}"`).join(', ')}}. Received: padding=${value}`,
    );
  }
  return padding as PaddingMode;
}

/** Keras's `standardize_data_format`; `null` means the default, `channels_last`. */
export function standardizeDataFormat(value: string | null | undefined): DataFormat {
  if (value == null) return 'channels_last';
  const format = typeof value === 'string' ? value.toLowerCase() : value;
  if (format !== 'channels_last' && format !== 'channels_first') {
    throw new ValueError(
      `The \`data_format\` argument must be one of {"channels_first", "channels_last"}. Received: data_format=${value}`,
    );
  }
  return format;
}

/** Fails unless `value` is a strictly positive integer (Keras's check on `filters`, `depth_multiplier`). */
export function assertPositiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(
      `Invalid value for argument \`${name}\`. Expected a strictly positive value. Received ${name}=${value}.`,
    );
  }
  return value;
}

/** Keras forbids combining strides and dilation above 1 (the kernels support one or the other). */
export function assertStridesOrDilation(strides: number[], dilationRate: number[]): void {
  if (Math.max(...strides) > 1 && Math.max(...dilationRate) > 1) {
    throw new ValueError(
      '`strides > 1` not supported in conjunction with `dilation_rate > 1`. ' +
        `Received: strides=${formatTuple(strides)} and dilation_rate=${formatTuple(dilationRate)}`,
    );
  }
}
