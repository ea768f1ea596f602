/**
 * `import '@strata/backends/native'` registers the native backend (Node only): the cpu backend's tensors
 * and kernels, with matrix products and convolutions (and their gradients) run by ONNX Runtime's CPU
 * kernels through onnxruntime-node, an optional peer dependency to install alongside
 * (`npm install onnxruntime-node`). `setBackend('native')` selects it; 'auto' ranks it below wasm (see the README).
 * `predict` runs a model that `@strata/onnx` can export as one ONNX Runtime call per batch
 * (`compile({ jitCompile })`, 'auto' by default; see kernels/native/predict.ts).
 *
 * Each kernel signature (op, shapes, attributes) gets a small ONNX model and session, built on first use
 * and kept until the backend is disposed (`tf.removeBackend('native')`) or `configureNative` changes the
 * thread count. `fit` runs a supported model's whole training step as one ONNX Runtime session call per
 * batch (`compile({ jitCompile })`, 'auto' by default; see kernels/native/step/compile-step.ts).
 *
 * @module @strata/backends/native
 */
import '@tensorflow/tfjs-backend-cpu';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { nativeDescription } from './builtin-backends.js';
// The cpu entry installs Strata's cpu kernels first: the native backend starts from them.
import { silenceTfjsNodeBanner } from './cpu.js';
import { nativeKernelFixes } from './kernels/native/index.js';
import { releaseSessions } from './kernels/native/ort.js';
import { compileNativePredict } from './kernels/native/predict.js';
import { compileTrainStep } from './kernels/native/step/compile-step.js';
import { ownValues, releaseResidentStates } from './kernels/native/step/resident.js';
import { registerBackend } from './strata-backend.js';

export { configureNative, type NativeOptions, nativeOptions } from './kernels/native/ort.js';

/**
 * The cpu backend, whose `dispose` also releases the ONNX Runtime sessions and the compiled steps' resident
 * state. A compiled step updates some variables' arrays in place (kernels/native/step/resident.ts), so no
 * such array may leave the backend or back a second storage: reads return a copy of it, and a tensor made
 * from it (tfjs-cpu's contiguous `slice` returns a `subarray` view of its input, also under StridedSlice,
 * Unpack, SplitV, …; Complex stores its inputs' arrays) stores a copy.
 */
class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // The cpu backend's advice to install tfjs-node does not apply (see `silenceTfjsNodeBanner`).
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    return super.write(ownValues(values), shape, dtype);
  }

  override move(
    dataId: tf.DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    super.move(dataId, ownValues(values), shape, dtype, refCount);
  }

  // `read` (and `bufferSync`) read through `readSync`.
  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    return ownValues(super.readSync(dataId));
  }

  override dispose(): void {
    releaseResidentStates();
    super.dispose();
    releaseSessions();
  }
}

/**
 * Registers the tfjs backend 'native' and gives it every cpu kernel (Strata's included) that it does not
 * have yet; the ONNX Runtime kernels then replace some of them. Priority 0: tfjs never picks it on its own.
 */
function registerTfjsBackend(): void {
  silenceTfjsNodeBanner();
  if (!tf.findBackendFactory('native')) tf.registerBackend('native', () => new NativeBackend(), 0);
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (!tf.getKernel(kernel.kernelName, 'native')) tf.registerKernel({ ...kernel, backendName: 'native' });
  }
}

registerTfjsBackend();

/** Strata's entry for the native backend, registered by importing `@strata/backends/native`. */
export const nativeBackend = registerBackend(
  {
    ...nativeDescription,
    async init() {
      registerTfjsBackend();
    },
    compilePredict: compileNativePredict,
    kernelFixes: nativeKernelFixes,
    compileTrainStep,
  },
  { module: nativeDescription.entry, override: true },
);
