import { ValueError } from '@strata/core';

import { DEFAULT_READ_LIMITS, type ReadLimits } from '../limits.js';
import {
  discardH5,
  type H5Api,
  isTrap,
  scratchPath,
  startFromPristineHeap,
  withCapturedDiagnostics,
} from './h5-module.js';
import type { H5AttrValue, H5Dataset, H5Group, H5NumericDtype, H5Values } from './h5-tree.js';

type Entity = ReturnType<InstanceType<H5Api['Group']>['get']>;
type AttrHolder = { attrs: Record<string, { metadata: H5Meta; value: unknown }> };
interface H5Meta {
  type: number;
  size: number;
  signed?: boolean;
  vlen?: boolean;
  littleEndian?: boolean;
  total_size: number;
  shape: number[] | null;
}

export interface ReadHdf5Options {
  /**
   * Which attributes to read, by name (default: all). The HDF5 library can spin for minutes on a damaged
   * variable-length string attribute, and a read cannot be interrupted, so loaders read only the ones
   * they use.
   */
  attributes?: (name: string) => boolean;
}

/**
 * Parses HDF5 bytes into plain data. Every dataset's declared size is checked against the file's real
 * size before its values are read (a dataset without compression cannot hold more bytes than the file),
 * and the walk is bounded in depth and object count, so a damaged or hostile file ends in a ValueError.
 */
export async function readHdf5(
  bytes: Uint8Array,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
  what = 'HDF5 file',
  options: ReadHdf5Options = {},
): Promise<H5Group> {
  if (bytes.byteLength > limits.maxFileBytes) {
    throw new ValueError(
      `${what} is ${bytes.byteLength} bytes, more than the limit of ${limits.maxFileBytes}.`,
    );
  }
  const { h5, fs } = await startFromPristineHeap();
  const path = scratchPath();
  fs.writeFile(path, bytes);
  let closeFailure: unknown;
  const run = withCapturedDiagnostics(() => {
    let file: InstanceType<H5Api['File']> | null = null;
    try {
      file = new h5.File(path, 'r');
      return readGroup(file, '/', 0, {
        objects: 0,
        fileBytes: bytes.byteLength,
        limits,
        h5,
        what,
        attributes: options.attributes ?? (() => true),
      });
    } finally {
      try {
        file?.close();
      } catch (e) {
        // A file the library could not parse may also fail to close; it is removed below either way.
        closeFailure = e;
      }
    }
  });
  fs.unlink(path);
  // After a trap the instance's memory and stack are half-updated: the next file gets a new instance.
  if ((run.error !== undefined && isTrap(run.error)) || (closeFailure !== undefined && isTrap(closeFailure)))
    discardH5();
  if (run.error === undefined) return run.result as H5Group;
  if (run.error instanceof ValueError) throw run.error;
  // The scratch name counts up from file to file; the message must not (same file, same error).
  const plain = (text: string) => text.split(path).join('(the file)');
  const reason = plain(hdf5Reason(run.diagnostics));
  throw new ValueError(
    `${what} is damaged or not an HDF5 file: ${plain(messageOf(run.error))}${reason ? ` (HDF5: ${reason})` : ''}`,
  );
}

/** The innermost reason of HDF5's error stack, e.g. "truncated file: eof = 1024, ...". */
function hdf5Reason(lines: string[]): string {
  const details = lines.map((l) => l.trim()).filter((l) => /^#\d+:/.test(l));
  const last = details[details.length - 1];
  return last ? last.replace(/^#\d+:\s*\S+ line \d+ in /, '') : '';
}

interface WalkState {
  attributes: (name: string) => boolean;
  objects: number;
  fileBytes: number;
  limits: ReadLimits;
  h5: H5Api;
  what: string;
}

function readGroup(group: InstanceType<H5Api['Group']>, path: string, depth: number, s: WalkState): H5Group {
  if (depth > s.limits.maxHdf5Depth)
    throw new ValueError(`${s.what}: groups nest deeper than ${s.limits.maxHdf5Depth} levels at '${path}'.`);
  const out: H5Group = {
    kind: 'group',
    attrs: readAttrs(group as unknown as AttrHolder, path, s),
    children: new Map(),
  };
  for (const name of group.keys()) {
    if (++s.objects > s.limits.maxHdf5Objects)
      throw new ValueError(`${s.what} holds more than ${s.limits.maxHdf5Objects} objects.`);
    const child: Entity = group.get(name);
    const childPath = path === '/' ? `/${name}` : `${path}/${name}`;
    if (child instanceof s.h5.Group) out.children.set(name, readGroup(child, childPath, depth + 1, s));
    else if (child instanceof s.h5.Dataset) out.children.set(name, readDataset(child, childPath, s));
    // Links to other files, broken links and named types carry no weights: they are skipped.
  }
  return out;
}

function dtypeOf(m: H5Meta): H5NumericDtype | 'string' | 'other' {
  if (m.type === 3) return 'string';
  if (m.type === 1)
    return m.size === 2 ? 'float16' : m.size === 4 ? 'float32' : m.size === 8 ? 'float64' : 'other';
  if (m.type === 0) {
    const bits = m.size * 8;
    if (![8, 16, 32, 64].includes(bits)) return 'other';
    return `${m.signed ? 'int' : 'uint'}${bits}` as H5NumericDtype;
  }
  if (m.type === 8 && m.size === 1) return 'bool';
  return 'other';
}

function checkDeclaredSize(m: H5Meta, path: string, s: WalkState, compressed: boolean): void {
  const shape = m.shape ?? [];
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new ValueError(`${s.what}: '${path}' declares an invalid shape [${shape.join(', ')}].`);
    count *= d;
  }
  if (count !== m.total_size)
    throw new ValueError(
      `${s.what}: '${path}' declares shape [${shape.join(', ')}] but ${m.total_size} elements.`,
    );
  const declared = count * m.size;
  const bound = compressed
    ? Math.min(s.fileBytes * s.limits.maxCompressionRatio, s.limits.maxFileBytes)
    : s.fileBytes;
  if (declared > bound) {
    throw new ValueError(
      `${s.what}: '${path}' declares ${declared} bytes (shape [${shape.join(', ')}]), more than the ${s.fileBytes}-byte file can hold.`,
    );
  }
}

function readDataset(ds: InstanceType<H5Api['Dataset']>, path: string, s: WalkState): H5Dataset {
  const m = ds.metadata as unknown as H5Meta;
  const dtype = dtypeOf(m);
  const attrs = readAttrs(ds as unknown as AttrHolder, path, s);
  const shape = (m.shape ?? []).slice();
  if (dtype === 'string' || dtype === 'other') return { kind: 'dataset', dtype, shape, data: null, attrs };
  if (m.littleEndian === false && m.size > 1) {
    throw new ValueError(`${s.what}: '${path}' is stored big-endian, which Strata does not read.`);
  }
  const compressed = ds.filters.length > 0;
  checkDeclaredSize(m, path, s, compressed);
  const raw = ds.value as unknown;
  const data = toTypedArray(raw, dtype, m.total_size, path, s);
  return { kind: 'dataset', dtype: dtype === 'float16' ? 'float32' : dtype, shape, data, attrs };
}

function toTypedArray(
  raw: unknown,
  dtype: H5NumericDtype,
  count: number,
  path: string,
  s: WalkState,
): H5Values {
  let out: H5Values;
  if (dtype === 'float16') {
    const bytes = raw instanceof Uint8Array ? raw : null;
    if (!bytes || bytes.length !== count * 2)
      throw new ValueError(`${s.what}: could not read float16 data at '${path}'.`);
    out = float16ToFloat32(bytes);
  } else if (ArrayBuffer.isView(raw)) {
    out = raw as H5Values;
  } else if (typeof raw === 'number' || typeof raw === 'boolean') {
    out = ctorFor(dtype).from([Number(raw)]) as H5Values;
  } else if (typeof raw === 'bigint') {
    out = dtype === 'uint64' ? BigUint64Array.from([raw]) : BigInt64Array.from([raw]);
  } else {
    throw new ValueError(`${s.what}: could not read the values of '${path}'.`);
  }
  if (out.length !== count)
    throw new ValueError(`${s.what}: '${path}' holds ${out.length} values, but declares ${count}.`);
  return out;
}

function ctorFor(dtype: H5NumericDtype): { from(v: number[]): H5Values } {
  switch (dtype) {
    case 'float64':
      return Float64Array;
    case 'int8':
      return Int8Array;
    case 'uint8':
    case 'bool':
      return Uint8Array;
    case 'int16':
      return Int16Array;
    case 'uint16':
      return Uint16Array;
    case 'int32':
      return Int32Array;
    case 'uint32':
      return Uint32Array;
    default:
      return Float32Array;
  }
}

function float16ToFloat32(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = bytes[2 * i] | (bytes[2 * i + 1] << 8);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * 2 ** -14 * (frac / 1024);
    else if (exp === 31) out[i] = frac ? Number.NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

function readAttrs(holder: AttrHolder, path: string, s: WalkState): Record<string, H5AttrValue> {
  const out: Record<string, H5AttrValue> = {};
  const attrs = holder.attrs;
  for (const name of Object.keys(attrs)) {
    if (!s.attributes(name)) continue;
    const attr = attrs[name];
    const m = attr.metadata;
    const dtype = dtypeOf(m);
    if (dtype === 'other') continue;
    if (dtype !== 'string') checkDeclaredSize(m, `${path}@${name}`, s, false);
    else if ((m.total_size ?? 0) > s.fileBytes)
      throw new ValueError(`${s.what}: attribute '${path}@${name}' declares ${m.total_size} strings.`);
    const v = attr.value;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || v === null) out[name] = v;
    else if (typeof v === 'boolean') out[name] = Number(v);
    else if (Array.isArray(v))
      out[name] = v.map((x) => (typeof x === 'string' ? x : Number(x))) as string[] | number[];
    else if (ArrayBuffer.isView(v))
      out[name] = Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  }
  return out;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
