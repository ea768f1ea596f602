/**
 * Backend setup per library. Strata goes through @strata/backends (its kernel fixes included);
 * tfjs-layers gets the stock tfjs backend packages, as its users would.
 */

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export type BackendKind = 'cpu' | 'wasm' | 'native';
export type Lib = 'strata' | 'tfjs-layers';

export async function useBackend(lib: Lib, backend: BackendKind): Promise<void> {
  if (lib === 'strata') {
    const { setBackend } = await import('@strata/backends');
    if (backend === 'wasm') {
      // BENCH_WASM_THREADS sets Strata's wasm threads (default 'auto': the cores, at most 4).
      const { setWasmThreads } = await import('@strata/backends/wasm');
      if (process.env.BENCH_WASM_THREADS) setWasmThreads(Number(process.env.BENCH_WASM_THREADS));
    } else if (backend === 'native') {
      // BENCH_NATIVE_THREADS sets ONNX Runtime's threads per kernel (default: every core).
      const { configureNative } = await import('@strata/backends/native');
      if (process.env.BENCH_NATIVE_THREADS)
        configureNative({ threads: Number(process.env.BENCH_NATIVE_THREADS) });
    } else await import('@strata/backends/cpu');
    await setBackend(backend);
  } else if (backend === 'native') {
    throw new Error(
      'tfjs-layers has no native backend here (tfjs-node is not installed); compare with its wasm row',
    );
  } else if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(main)}/`);
    await tf.setBackend('wasm');
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  }
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`wanted backend ${backend}, got ${tf.getBackend()}`);
}
