import { ValueError } from '@strata/core';

/**
 * Bounds applied to every file that is read. A model file is data from outside: every size it declares is
 * checked against the bytes that are actually there before anything is allocated for it.
 */
export interface ReadLimits {
  /** Largest input accepted, in bytes (a whole .keras/.h5 file or a TF.js shard set). */
  maxFileBytes: number;
  /** Largest JSON document (config.json, metadata.json, model.json, an HDF5 config attribute). */
  maxJsonBytes: number;
  /** Largest decompressed size of one zip member, relative to its compressed size (zip-bomb guard). */
  maxCompressionRatio: number;
  /** Most HDF5 objects (groups + datasets) visited in one file. */
  maxHdf5Objects: number;
  /** Deepest HDF5 group nesting followed. */
  maxHdf5Depth: number;
}

/** The size bounds applied when reading model files, unless a load's `limits` option overrides them. */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxFileBytes: 2 ** 31 - 1,
  maxJsonBytes: 64 * 2 ** 20,
  maxCompressionRatio: 1000,
  maxHdf5Objects: 100_000,
  maxHdf5Depth: 64,
};

export function resolveLimits(limits?: Partial<ReadLimits>): ReadLimits {
  return { ...DEFAULT_READ_LIMITS, ...(limits ?? {}) };
}

/** Parses JSON from bytes after a size check; a parse failure names the document. */
export function parseJsonBytes(bytes: Uint8Array, what: string, limits: ReadLimits): unknown {
  if (bytes.byteLength > limits.maxJsonBytes) {
    throw new ValueError(
      `${what} is ${bytes.byteLength} bytes, more than the limit of ${limits.maxJsonBytes} bytes for a JSON document.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ValueError(`${what} is not valid UTF-8 text.`);
  }
  return parseJsonText(text, what, limits);
}

export function parseJsonText(text: string, what: string, limits: ReadLimits): unknown {
  if (text.length > limits.maxJsonBytes) {
    throw new ValueError(
      `${what} is ${text.length} characters, more than the limit of ${limits.maxJsonBytes}.`,
    );
  }
  try {
    // Python's json module writes NaN and Infinity as bare words; JSON.parse rejects them, so they are
    // quoted first (only outside strings) and turned back into numbers by the reviver.
    return JSON.parse(quoteNonFinite(text), (_k, v) =>
      v === '__strata_NaN__'
        ? Number.NaN
        : v === '__strata_Inf__'
          ? Infinity
          : v === '__strata_-Inf__'
            ? -Infinity
            : v,
    );
  } catch (e) {
    throw new ValueError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function quoteNonFinite(text: string): string {
  if (!/NaN|Infinity/.test(text)) return text;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith('NaN', i)) {
      out += '"__strata_NaN__"';
      i += 2;
    } else if (text.startsWith('-Infinity', i)) {
      out += '"__strata_-Inf__"';
      i += 8;
    } else if (text.startsWith('Infinity', i)) {
      out += '"__strata_Inf__"';
      i += 7;
    } else out += c;
  }
  return out;
}

/** Serializes like Python's json.dumps: NaN and Infinity as bare words, so Keras reads them back. */
export function stringifyJson(value: unknown): string {
  const marked = JSON.stringify(value, (_k, v) =>
    typeof v === 'number' && !Number.isFinite(v)
      ? Number.isNaN(v)
        ? '__strata_NaN__'
        : v > 0
          ? '__strata_Inf__'
          : '__strata_-Inf__'
      : v,
  );
  return marked
    .replace(/"__strata_NaN__"/g, 'NaN')
    .replace(/"__strata_Inf__"/g, 'Infinity')
    .replace(/"__strata_-Inf__"/g, '-Infinity');
}
