import { StrataAdamUpdate, type StrataAdamUpdateAttrs } from '@strata/core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { adamUpdate, checkAdamUpdateArgs } from '../adam-update.js';
import { adamSimdLoop } from './adam-update-simd.js';
import type { Backend } from './call-kernel.js';
import { activeThreadPool, type HeapBackend, heapMemory, threadedAdamUpdate } from './threaded/kernels.js';

/**
 * Adam's update in one pass over the wasm heap: the three outputs are allocated on the heap by the
 * backend and written in place, so no tensor is copied off the heap (`readSync`). A large weight runs on
 * Strata's thread pool where that runs in tfjs's heap (threaded/kernels.ts); otherwise the bulk runs in
 * the f32x4 loop of `adam-update-simd.ts` and the last few elements (or all, where that loop cannot run)
 * in the shared JavaScript loop, which rounds the same way.
 */
export const adamUpdateWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { inputs: x, attrs: a } = checkAdamUpdateArgs(inputs as Record<string, TensorInfo>, attrs ?? {});
  const threaded = threadedAdamUpdate(activeThreadPool(), backend as Backend, x, a);
  if (threaded !== null) return threaded;
  const b = backend as unknown as HeapBackend;
  const shape = x.variable.shape.slice();
  const view = (info: TensorInfo) => b.typedArrayFromHeap(info);
  // An input still on another backend is copied onto the heap when first viewed; do that, and allocate
  // the outputs, before taking the views the loops use: a heap that grows detaches every earlier view.
  for (const input of [x.variable, x.gradient, x.m, x.v]) view(input);
  const outs = [
    b.makeOutput(shape, 'float32'),
    b.makeOutput(shape, 'float32'),
    b.makeOutput(shape, 'float32'),
  ];
  const views = [x.variable, x.gradient, x.m, x.v, ...outs].map(view);
  runAdamUpdate(heapMemory(b), views, a);
  return outs;
};

/**
 * Runs Adam's update over `views` (variable, gradient, m, v, then the three outputs, all views of
 * `memory`): the f32x4 loop for the bulk, the JavaScript loop for the rest.
 */
function runAdamUpdate(
  memory: WebAssembly.Memory | undefined,
  views: Float32Array[],
  a: StrataAdamUpdateAttrs,
): void {
  const n = views[0].length;
  const loop = adamSimdLoop(memory);
  let done = 0;
  if (loop !== null) {
    const f = Math.fround;
    const [w, g, m, v, outW, outM, outV] = views.map((t) => t.byteOffset);
    loop(w, g, m, v, outW, outM, outV, n, f(1 - a.beta1), f(1 - a.beta2), f(a.alpha), f(a.epsilon));
    done = n - (n % 4);
  }
  if (done < n) {
    const [w, g, m, v, outW, outM, outV] = views.map((t) => t.subarray(done));
    adamUpdate(w, g, m, v, outW, outM, outV, a);
  }
}

export const wasmAdamUpdateFix: KernelFix = {
  kernelName: StrataAdamUpdate,
  backendName: 'wasm',
  mode: 'fill',
  create: () => ({ kernelName: StrataAdamUpdate, backendName: 'wasm', kernelFunc: adamUpdateWasm }),
};
