/**
 * A single binary asset holding all of MNIST, for browsers, where four files would mean four requests
 * and there is no file system. The pack is the four IDX files back to back, in the order train images,
 * train labels, test images, test labels: each IDX header states its own length, so no index is needed
 * and every check of the IDX reader applies unchanged.
 */
import { ValueError } from '@strata/core';

import { encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from './idx.js';
import { checkMnistSplit, type MnistArrays, type MnistSplit } from './mnist-arrays.js';

/** Options of `packMnist`, which packs the MNIST arrays into one compressed asset. */
export interface PackMnistOptions {
  /** Keep only the first `trainCount` training digits (a smaller asset for a web page); default all. */
  trainCount?: number;
  /** Keep only the first `testCount` test digits; default all. */
  testCount?: number;
}

/** Writes MNIST arrays (for example from `readMnistFiles`) as one packed asset that `loadData({ url })` reads. */
export function packMnist(arrays: MnistArrays, options: PackMnistOptions = {}): Uint8Array {
  const parts = [
    ...splitParts(arrays.train, options.trainCount, 'trainCount'),
    ...splitParts(arrays.test, options.testCount, 'testCount'),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function splitParts(split: MnistSplit, count: number | undefined, name: string): Uint8Array[] {
  const total = split.images.dims[0];
  const n = count ?? total;
  if (!Number.isInteger(n) || n < 0 || n > total) {
    throw new ValueError(
      `packMnist's ${name} must be an integer from 0 to ${total}. Received: ${name}=${count}`,
    );
  }
  const [, rows, cols] = split.images.dims;
  return [
    encodeIdx([n, rows, cols], split.images.data.subarray(0, n * rows * cols)),
    encodeIdx([n], split.labels.data.subarray(0, n)),
  ];
}

/** Reads a packed asset back into checked arrays; `source` names it (its URL) in error messages. */
export function unpackMnist(bytes: Uint8Array, source: string): MnistArrays {
  const names = ['training images', 'training labels', 'test images', 'test labels'];
  const magics = [IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC];
  const parsed = [];
  let offset = 0;
  for (let i = 0; i < 4; i++) {
    const part = parseIdx(bytes, {
      source: `${source} (${names[i]}, at byte ${offset})`,
      magic: magics[i],
      offset,
      allowTrailing: true,
    });
    parsed.push(part);
    offset = part.end;
  }
  if (offset !== bytes.byteLength) {
    throw new ValueError(
      `${source} is not a packed MNIST asset: ${bytes.byteLength - offset} unexpected bytes follow its four IDX parts.`,
    );
  }
  const strip = ({ dims, data }: { dims: number[]; data: Uint8Array }) => ({ dims, data });
  const train = { images: strip(parsed[0]), labels: strip(parsed[1]) };
  const test = { images: strip(parsed[2]), labels: strip(parsed[3]) };
  checkMnistSplit(train, `${source} (training images)`, `${source} (training labels)`);
  checkMnistSplit(test, `${source} (test images)`, `${source} (test labels)`);
  return { train, test };
}
