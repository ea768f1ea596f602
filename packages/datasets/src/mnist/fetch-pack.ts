/** Fetches a packed MNIST asset (see mnist-pack.ts): the browser's way to load MNIST. */
import { ValueError } from '@strata/core';

import type { MnistArrays } from './mnist-arrays.js';
import { unpackMnist } from './mnist-pack.js';

/** The part of `fetch` the loader uses, so tests and apps can supply their own. */
export type FetchFn = (url: string) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export async function fetchMnistPack(url: string | URL, fetchFn?: FetchFn): Promise<MnistArrays> {
  const href = String(url);
  const doFetch = fetchFn ?? (globalThis.fetch as FetchFn | undefined);
  if (doFetch == null) {
    throw new ValueError(
      `mnist.loadData could not fetch ${href}: this runtime has no global fetch; pass options.fetch.`,
    );
  }
  let response: Awaited<ReturnType<FetchFn>>;
  try {
    response = await doFetch(href);
  } catch (e) {
    throw new ValueError(
      `mnist.loadData could not fetch the packed MNIST asset ${href}: ${(e as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new ValueError(
      `mnist.loadData could not fetch the packed MNIST asset ${href}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  return unpackMnist(new Uint8Array(await response.arrayBuffer()), href);
}
