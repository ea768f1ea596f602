/**
 * What each backend this package ships says about itself, written once: its subpath entry registers the
 * description (adding its kernels and `init`), and `setBackend` reads it to load that entry on demand.
 * Nothing here imports a tfjs backend package, so the root entry stays free of them.
 */
import { resolvesInNode } from './node-paths.js';

/** A built-in backend's description: the registry entry's fields that need no tfjs package loaded. */
export interface BuiltinBackend {
  /** The tfjs backend name. */
  name: string;
  /** Rank for `setBackend('auto')`: webgpu 4, webgl 3, native 2.5, wasm 2, cpu 1. */
  priority: number;
  /** The subpath entry that registers it. */
  entry: string;
  /** The npm package it needs, named in the error when it is missing. */
  tfjsPackage: string;
  /** Tensor values live in host memory (see `StrataBackend.hostMemory`). */
  hostMemory?: boolean;
  /** Whether 'auto' should use it here; cheap, and checked before its entry is loaded. */
  isSupported(): boolean | Promise<boolean>;
}

/**
 * The cpu backend's tensors with ONNX Runtime's CPU kernels (onnxruntime-node) for matrix products and
 * convolutions, and whole training steps and predicts compiled into one ONNX Runtime call each, where that
 * optional package is installed (Node only). It ranks above wasm: on the bench models (bench/README.md,
 * "Native backend") its compiled steps train 2-4x faster than wasm and predict at batch 1 in under half
 * tfjs-layers' latency.
 */
export const nativeDescription: BuiltinBackend = {
  name: 'native',
  priority: 2.5,
  entry: '@strata/backends/native',
  tfjsPackage: 'onnxruntime-node',
  hostMemory: true,
  isSupported: () => resolvesInNode('onnxruntime-node', import.meta.url),
};

/** tfjs's plain-JavaScript backend: slow, but runs anywhere. */
export const cpuDescription: BuiltinBackend = {
  name: 'cpu',
  priority: 1,
  entry: '@strata/backends/cpu',
  tfjsPackage: '@tensorflow/tfjs-backend-cpu',
  hostMemory: true,
  isSupported: () => true,
};

/** tfjs's WebAssembly backend: the fastest in Node. */
export const wasmDescription: BuiltinBackend = {
  name: 'wasm',
  priority: 2,
  entry: '@strata/backends/wasm',
  tfjsPackage: '@tensorflow/tfjs-backend-wasm',
  hostMemory: true,
  isSupported: () => typeof WebAssembly === 'object',
};

/** tfjs's WebGL2 backend: a browser page, or a worker with OffscreenCanvas. */
export const webglDescription: BuiltinBackend = {
  name: 'webgl',
  priority: 3,
  entry: '@strata/backends/webgl',
  tfjsPackage: '@tensorflow/tfjs-backend-webgl',
  isSupported: () => hasWebGL2(),
};

/**
 * tfjs's WebGPU backend. 'auto' takes it only on a hardware adapter: a software one (Chromium's
 * SwiftShader fallback) runs training 5–23x slower than cpu, so there WebGL (or wasm) is the better pick.
 * `setBackend('webgpu')` accepts any adapter.
 */
export const webgpuDescription: BuiltinBackend = {
  name: 'webgpu',
  priority: 4,
  entry: '@strata/backends/webgpu',
  tfjsPackage: '@tensorflow/tfjs-backend-webgpu',
  isSupported: async () => (await probeWebGPU()).kind === 'hardware',
};

/** The built-in backends, highest priority first. */
export const builtinBackends: readonly BuiltinBackend[] = [
  webgpuDescription,
  webglDescription,
  nativeDescription,
  wasmDescription,
  cpuDescription,
];

let webgl2: boolean | undefined;

/**
 * True where a WebGL2 context can be created (a browser page or a worker with OffscreenCanvas). Probed
 * once: browsers cap live contexts (~16) and drop the oldest, which could be tfjs's own.
 */
export function hasWebGL2(): boolean {
  webgl2 ??= probeWebGL2();
  return webgl2;
}

function probeWebGL2(): boolean {
  try {
    let canvas: OffscreenCanvas | HTMLCanvasElement | undefined;
    if (typeof OffscreenCanvas !== 'undefined') canvas = new OffscreenCanvas(1, 1);
    else if (typeof document !== 'undefined' && typeof document.createElement === 'function') {
      canvas = document.createElement('canvas');
    }
    const gl = canvas?.getContext('webgl2') as WebGL2RenderingContext | null | undefined;
    if (!gl) return false;
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return true;
  } catch {
    // A browser that refuses a context (blocklisted GPU, lost context) has no usable WebGL2.
    return false;
  }
}

/** The parts of the WebGPU API the probe reads (the DOM typings here predate WebGPU). */
interface GPUAdapterLike {
  /** Deprecated in the spec (Chromium 133 moved it to `info`), still set by older browsers. */
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}
interface GPULike {
  requestAdapter(options?: {
    powerPreference?: 'low-power' | 'high-performance';
  }): Promise<GPUAdapterLike | null>;
}

/** What a WebGPU adapter request gives here; `reason` says why there is none, for error messages. */
export interface WebGPUProbe {
  kind: 'none' | 'fallback' | 'hardware';
  reason: string;
}

/**
 * Asks for the adapter tfjs-backend-webgpu would get (a high-performance one). A software adapter is
 * marked `isFallbackAdapter` by the spec; SwiftShader is also recognised by its architecture name, for
 * browsers that do not set the flag. Not cached: a lost device or a new GPU process changes the answer.
 */
export async function probeWebGPU(): Promise<WebGPUProbe> {
  const gpu = (globalThis as { navigator?: { gpu?: GPULike } }).navigator?.gpu;
  if (!gpu) {
    return {
      kind: 'none',
      reason:
        'navigator.gpu does not exist here (not a browser, a browser without WebGPU, or a page that is not a secure context)',
    };
  }
  let adapter: GPUAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return {
      kind: 'none',
      reason: `navigator.gpu.requestAdapter() failed: ${(err as Error)?.message ?? err}`,
    };
  }
  if (!adapter) {
    return {
      kind: 'none',
      reason: 'navigator.gpu.requestAdapter() found no adapter (no supported GPU, or WebGPU is disabled)',
    };
  }
  const info = adapter.info ?? {};
  const software =
    info.isFallbackAdapter === true ||
    adapter.isFallbackAdapter === true ||
    /swiftshader/i.test(`${info.architecture ?? ''} ${info.description ?? ''}`);
  return software
    ? { kind: 'fallback', reason: `a software adapter (${info.vendor || '?'} ${info.architecture || '?'})` }
    : { kind: 'hardware', reason: `a hardware adapter (${info.vendor || '?'} ${info.architecture || '?'})` };
}
