import { ValueError } from '@strata/core';
import { Inflate } from 'fflate';

import type { ReadLimits } from '../limits.js';
import { crc32 } from './crc32.js';

/** One file in a zip archive: its name, sizes, compression method and where its data starts. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** Offset of the member's data in the archive. */
  dataOffset: number;
}

/**
 * A zip archive read from memory. Only the central directory is parsed up front; members are
 * extracted on request, after their declared sizes are checked against the archive's real bytes.
 *
 * Internal to `@strata/io` (exported from `@strata/io/internal` for tests).
 */
export class ZipArchive {
  private constructor(
    private readonly bytes: Uint8Array,
    readonly entries: Map<string, ZipEntry>,
    private readonly limits: ReadLimits,
  ) {}

  static open(bytes: Uint8Array, limits: ReadLimits): ZipArchive {
    return new ZipArchive(bytes, readCentralDirectory(bytes), limits);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * Extracts a member; its size and CRC-32 must match what the archive declares. `cap` bounds what this
   * member may hold (a JSON document's limit, what a model's weights can take), checked on the declared
   * size before anything is inflated; inflation itself stops as soon as it passes the declared size.
   */
  read(name: string, cap?: { maxBytes: number; why: string }): Uint8Array {
    const e = this.entries.get(name);
    if (!e)
      throw new ValueError(
        `The zip archive has no member '${name}'. Members: ${this.names().join(', ') || '(none)'}.`,
      );
    const { bytes, limits } = this;
    if (e.size > limits.maxFileBytes) {
      throw new ValueError(
        `Zip member '${name}' declares ${e.size} bytes, more than the limit of ${limits.maxFileBytes}.`,
      );
    }
    if (cap && e.size > cap.maxBytes) {
      throw new ValueError(
        `Zip member '${name}' declares ${e.size} bytes, more than the ${cap.maxBytes} bytes allowed by ${cap.why}. Nothing was extracted.`,
      );
    }
    const raw = bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) {
        throw new ValueError(
          `Zip member '${name}' is stored uncompressed but declares ${e.size} bytes of content in ${e.compressedSize} stored bytes.`,
        );
      }
      out = raw;
    } else if (e.method === 8) {
      if (e.size > Math.max(1024, e.compressedSize * limits.maxCompressionRatio)) {
        throw new ValueError(
          `Zip member '${name}' declares ${e.size} bytes from ${e.compressedSize} compressed bytes, a ratio above the limit of ${limits.maxCompressionRatio}.`,
        );
      }
      out = inflateBounded(raw, e.size, name);
    } else {
      throw new ValueError(
        `Zip member '${name}' uses compression method ${e.method}; only stored (0) and deflate (8) are supported.`,
      );
    }
    if (crc32(out) !== e.crc)
      throw new ValueError(`Zip member '${name}' is corrupt: its CRC-32 does not match.`);
    return out;
  }
}

function inflateBounded(raw: Uint8Array, size: number, name: string): Uint8Array {
  const out = new Uint8Array(size);
  let written = 0;
  let failure: string | null = null;
  const inflater = new Inflate((chunk) => {
    if (failure) return;
    if (written + chunk.length > size) {
      failure = `Zip member '${name}' inflates to more than the ${size} bytes it declares.`;
      return;
    }
    out.set(chunk, written);
    written += chunk.length;
  });
  const step = 1 << 16;
  try {
    for (let i = 0; i < raw.length && !failure; i += step)
      inflater.push(raw.subarray(i, i + step), i + step >= raw.length);
    if (raw.length === 0) inflater.push(raw, true);
  } catch (e) {
    throw new ValueError(`Zip member '${name}' is corrupt: ${(e as Error).message}`);
  }
  if (failure) throw new ValueError(failure);
  if (written !== size)
    throw new ValueError(`Zip member '${name}' inflates to ${written} bytes, but declares ${size}.`);
  return out;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

function fail(message: string): never {
  throw new ValueError(`Not a readable zip archive: ${message}`);
}

function readCentralDirectory(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  if (n < 22) fail(`${n} bytes is too short to hold a zip directory.`);
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD_SIG && i + 22 + view.getUint16(i + 20, true) <= n) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('the end-of-central-directory record is missing (the file may be truncated).');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) fail('the zip64 locator is missing.');
    const z = safeNumber(view.getBigUint64(loc + 8, true));
    if (z + 56 > n || view.getUint32(z, true) !== ZIP64_EOCD_SIG)
      fail('the zip64 end-of-central-directory record is missing.');
    count = safeNumber(view.getBigUint64(z + 32, true));
    cdSize = safeNumber(view.getBigUint64(z + 40, true));
    cdOffset = safeNumber(view.getBigUint64(z + 48, true));
  }
  if (cdOffset + cdSize > n)
    fail(
      `the central directory (offset ${cdOffset}, ${cdSize} bytes) lies beyond the end of the ${n}-byte file.`,
    );
  if (count * 46 > cdSize) fail(`the central directory declares ${count} entries in only ${cdSize} bytes.`);
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  const end = cdOffset + cdSize;
  const decoder = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (p + 46 > end || view.getUint32(p, true) !== CDH_SIG) fail(`central directory entry ${k} is damaged.`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > end)
      fail(`central directory entry ${k} runs past the directory.`);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // Zip64 sizes live in extra field 0x0001, in the order size, compressed size, offset (each only if needed).
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = view.getUint16(q, true);
      const len = view.getUint16(q + 2, true);
      if (id === 0x0001) {
        let r = q + 4;
        const take = () => {
          if (r + 8 > q + 4 + len) fail(`the zip64 field of '${name}' is too short.`);
          const v = safeNumber(view.getBigUint64(r, true));
          r += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      q += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) fail(`member '${name}' is encrypted.`);
    if (entries.has(name)) fail(`member '${name}' appears twice.`);
    if (localOffset + 30 > n || view.getUint32(localOffset, true) !== LFH_SIG)
      fail(`the local header of '${name}' is missing or damaged.`);
    const dataOffset =
      localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataOffset + compressedSize > n) {
      fail(
        `member '${name}' declares ${compressedSize} bytes at offset ${dataOffset}, past the end of the ${n}-byte file.`,
      );
    }
    entries.set(name, { name, method, compressedSize, size, crc, dataOffset });
  }
  return entries;
}

function safeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a declared size or offset (${v}) is impossibly large.`);
  return Number(v);
}
