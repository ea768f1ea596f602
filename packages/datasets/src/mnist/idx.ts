/**
 * The IDX format that MNIST ships in (LeCun et al.): a big-endian header, then raw values in row-major
 * order. The header is a 4-byte magic number, two zero bytes, a type code, the number of dimensions,
 * followed by one uint32 per dimension. Only unsigned bytes (type code 0x08) occur in MNIST, and only
 * those are read here.
 */
import { ValueError } from '@strata/core';

/** Type code of unsigned-byte data, the third byte of the magic number. */
const UBYTE = 0x08;

/** Magic number of MNIST's image files: unsigned bytes, 3 dimensions (count, rows, cols). */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of MNIST's label files: unsigned bytes, 1 dimension (count). */
export const IDX_LABELS_MAGIC = 2049;

/** One parsed IDX file: its dimensions and a view of its values (no copy). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Options of `parseIdx`: the magic number to expect and where the bytes came from (for messages). */
export interface ParseIdxOptions {
  /** Names the file or asset in error messages. */
  source: string;
  /** The magic number the data must start with (2051 for images, 2049 for labels). */
  magic: number;
  /** Byte offset of the header inside `bytes`; default 0. */
  offset?: number;
  /**
   * Whether bytes may follow the data. A standalone file must end where its data ends; inside a pack,
   * the next file follows. Default false.
   */
  allowTrailing?: boolean;
}

/** Parses one unsigned-byte IDX file; every inconsistency fails with the source and what was wrong. */
export function parseIdx(bytes: Uint8Array, options: ParseIdxOptions): IdxArray & { end: number } {
  const { source, magic } = options;
  const offset = options.offset ?? 0;
  const expectedRank = magic & 0xff;
  const available = bytes.byteLength - offset;
  if (available < 4) {
    throw new ValueError(
      `${source} is truncated: expected an IDX header of at least 4 bytes, but the data has ${Math.max(available, 0)} bytes.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, available);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new ValueError(
      `${source} is not the expected IDX file: its magic number is ${found} (0x${found.toString(16).padStart(8, '0')}), ` +
        `expected ${magic} (unsigned bytes, ${expectedRank} dimension${expectedRank === 1 ? '' : 's'}).`,
    );
  }
  if (magic >>> 8 !== UBYTE)
    throw new ValueError(`parseIdx reads unsigned-byte IDX data only. Received: magic=${magic}`);
  const headerBytes = 4 + 4 * expectedRank;
  if (available < headerBytes) {
    throw new ValueError(
      `${source} is truncated: its ${expectedRank}-dimensional IDX header needs ${headerBytes} bytes, but the data has ${available}.`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < expectedRank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const end = offset + headerBytes + size;
  if (end > bytes.byteLength) {
    throw new ValueError(
      `${source} is truncated: its header declares dimensions ${dims.join(' x ')} (${size} bytes of data after the ` +
        `${headerBytes}-byte header), but only ${available - headerBytes} bytes follow.`,
    );
  }
  if (!options.allowTrailing && end !== bytes.byteLength) {
    throw new ValueError(
      `${source} has ${bytes.byteLength - end} unexpected bytes after the ${size} bytes of data its header declares ` +
        `(dimensions ${dims.join(' x ')}).`,
    );
  }
  return { dims, data: bytes.subarray(offset + headerBytes, end), end };
}

/** Writes values as one unsigned-byte IDX file (the inverse of parseIdx). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (
    dims.length < 1 ||
    dims.length > 255 ||
    !dims.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff)
  ) {
    throw new ValueError(
      `encodeIdx expects 1 to 255 non-negative integer dimensions. Received: dims=[${dims.join(', ')}]`,
    );
  }
  if (data.length !== size) {
    throw new ValueError(
      `encodeIdx expects ${size} values for dimensions [${dims.join(', ')}]. Received: ${data.length} values`,
    );
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length, false);
  for (let i = 0; i < dims.length; i++) view.setUint32(4 + 4 * i, dims[i], false);
  out.set(data, headerBytes);
  return out;
}
