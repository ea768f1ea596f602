import { RegistryError, RuntimeError, registry, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeWebGPU } from '../src/builtin-backends.js';
import {
  findBackend,
  getBackend,
  listBackends,
  registerBackend,
  type StrataBackend,
  setBackend,
} from '../src/index.js';
import { resolvesInNode } from '../src/node-paths.js';
import { setEntryImporter } from '../src/set-backend.js';

/** A stand-in for `navigator.gpu` whose adapter request gives `adapter`. */
function stubGpu(adapter: object | null | (() => never)) {
  const requestAdapter = vi.fn(async () => (typeof adapter === 'function' ? adapter() : adapter));
  vi.stubGlobal('navigator', { gpu: { requestAdapter } });
  return requestAdapter;
}

/** Whether the optional onnxruntime-node is installed (this repo's dev install), which registers native. */
const hasOrt = resolvesInNode('onnxruntime-node', import.meta.url);

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  for (const name of ['test>broken', 'test>fine']) registry.unregister('backend', name);
  await tf.setBackend('cpu');
});

describe('setBackend / getBackend / listBackends', () => {
  it('fails with the package to install when a built-in backend package is missing', async () => {
    expect(findBackend('wasm')).toBeUndefined();
    const previous = setEntryImporter(async (specifier) => {
      const err = new Error(
        `Cannot find package '@tensorflow/tfjs-backend-wasm' imported from /app/node_modules/@strata/backends/dist/wasm.js (${specifier})`,
      ) as Error & { code: string };
      err.code = 'ERR_MODULE_NOT_FOUND';
      throw err;
    });
    try {
      await expect(setBackend('wasm')).rejects.toThrow(
        "Backend 'wasm' needs the package @tensorflow/tfjs-backend-wasm: npm install @tensorflow/tfjs-backend-wasm",
      );
    } finally {
      setEntryImporter(previous);
    }
  });

  it("loads a built-in subpath on demand: setBackend('wasm') without importing @strata/backends/wasm", async () => {
    expect(findBackend('wasm')).toBeUndefined();
    await expect(setBackend('wasm')).resolves.toBe('wasm');
    expect(getBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(findBackend('wasm')?.priority).toBe(2);
    // The kernel fixes came with it.
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it("setBackend('cpu') and getBackend()", async () => {
    await expect(setBackend('cpu')).resolves.toBe('cpu');
    expect(getBackend()).toBe('cpu');
  });

  it("'auto' picks native in Node where onnxruntime-node is installed, else wasm", async () => {
    const expected = hasOrt ? 'native' : 'wasm';
    await expect(setBackend('auto')).resolves.toBe(expected);
    expect(getBackend()).toBe(expected);
  });

  it("setBackend('webgl') in Node fails clearly instead of staying on the old backend", async () => {
    await setBackend('cpu');
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = await setBackend('webgl').catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error.message).toMatch(/Backend 'webgl' failed to initialise: no WebGL2 context/);
    expect(getBackend()).toBe('cpu');
  });

  it("setBackend('webgpu') without an adapter fails clearly instead of staying on the old backend", async () => {
    await setBackend('cpu');
    // Node has no navigator.gpu (tfjs-backend-webgpu then registers nothing with tfjs).
    const error = await setBackend('webgpu').catch((e) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error.message).toMatch(
      /^Backend 'webgpu' failed to initialise: navigator.gpu does not exist here/,
    );
    expect(findBackend('webgpu')?.priority).toBe(4);
    stubGpu(null);
    await expect(setBackend('webgpu')).rejects.toThrow(
      "Backend 'webgpu' failed to initialise: navigator.gpu.requestAdapter() found no adapter",
    );
    expect(getBackend()).toBe('cpu');
  });

  it('tells a hardware WebGPU adapter from a software fallback (SwiftShader)', async () => {
    const requestAdapter = stubGpu({
      info: { vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false },
    });
    await expect(probeWebGPU()).resolves.toMatchObject({ kind: 'hardware' });
    // The same adapter tfjs-backend-webgpu asks for.
    expect(requestAdapter).toHaveBeenCalledWith({ powerPreference: 'high-performance' });
    stubGpu({ info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } });
    await expect(probeWebGPU()).resolves.toMatchObject({ kind: 'fallback' });
    // Before Chromium 133 the flag sat on the adapter; some browsers set neither, SwiftShader is named.
    stubGpu({ isFallbackAdapter: true, info: {} });
    await expect(probeWebGPU()).resolves.toMatchObject({ kind: 'fallback' });
    stubGpu({ info: { vendor: 'google', architecture: 'swiftshader' } });
    await expect(probeWebGPU()).resolves.toMatchObject({ kind: 'fallback' });
    stubGpu(() => {
      throw new Error('GPU process crashed');
    });
    await expect(probeWebGPU()).resolves.toEqual({
      kind: 'none',
      reason: 'navigator.gpu.requestAdapter() failed: GPU process crashed',
    });
  });

  it("'auto' tries webgpu first on a hardware adapter, and skips it on a software one", async () => {
    await import('../src/webgpu.js');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    stubGpu({ info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } });
    const nodeBest = hasOrt ? 'native' : 'wasm';
    await expect(setBackend('auto')).resolves.toBe(nodeBest);
    expect(warn).not.toHaveBeenCalled();
    // A hardware adapter: 'auto' initialises webgpu first. In Node tfjs registered no webgpu backend (its
    // import saw no navigator.gpu), so that fails and 'auto' goes on to the next.
    stubGpu({ info: { vendor: 'nvidia', architecture: 'ampere' } });
    await expect(setBackend('auto')).resolves.toBe(nodeBest);
    expect(warn.mock.calls.flat().join(' ')).toMatch(/backend 'webgpu' failed to initialise/);
  });

  it("'auto' skips a backend that fails to initialise, with a warning", async () => {
    const init = vi.fn(async () => {
      throw new Error('no device here');
    });
    registerBackend({ name: 'test>broken', priority: 100, init });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(setBackend('auto')).resolves.toBe(hasOrt ? 'native' : 'wasm');
    expect(init).toHaveBeenCalledOnce();
    expect(warn.mock.calls.flat().join(' ')).toMatch(/'test>broken' failed to initialise.*no device here/);
    await expect(setBackend('test>broken' as 'cpu')).rejects.toThrow('no device here');
  });

  it('a third-party backend registered through the registry is selected by name and by priority', async () => {
    // A stand-in for e.g. tfjs-node: a tfjs backend registered under its own name.
    tf.registerBackend('test>fine', () => new (tf.findBackendFactory('cpu')!().constructor as any)(), -1);
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'test>fine' });
    const entry: StrataBackend = {
      name: 'test>fine',
      priority: 50,
      tfjsPackage: 'test-fine',
      init: vi.fn(async () => {}),
    };
    registerBackend(entry, { module: 'test-fine' });
    try {
      expect(listBackends()[0]).toBe('test>fine');
      await expect(setBackend('test>fine' as 'cpu')).resolves.toBe('test>fine');
      await setBackend('cpu');
      await expect(setBackend('auto')).resolves.toBe('test>fine');
      expect(entry.init).toHaveBeenCalledTimes(2);
    } finally {
      await tf.setBackend('cpu');
      for (const k of tf.getKernelsForBackend('test>fine')) tf.unregisterKernel(k.kernelName, 'test>fine');
      tf.removeBackend('test>fine');
    }
  });

  it('lists registered backends by priority', async () => {
    await import('../src/cpu.js');
    await import('../src/webgl.js');
    await import('../src/wasm.js');
    if (hasOrt) await import('../src/native.js');
    expect(listBackends()).toEqual(['webgpu', 'webgl', ...(hasOrt ? ['native'] : []), 'wasm', 'cpu']);
  });

  it('rejects unknown names and bad entries with what it received', async () => {
    const unknown = await setBackend('tpu' as 'cpu').catch((e) => e);
    expect(unknown).toBeInstanceOf(RegistryError);
    expect(unknown.message).toMatch(
      /Unknown backend: 'tpu'. Known backends: webgpu, webgl, native, wasm, cpu/,
    );
    const empty = await setBackend('' as 'cpu').catch((e) => e);
    expect(empty).toBeInstanceOf(ValueError);
    expect(empty.message).toBe(`setBackend expects a backend name or 'auto'. Received: ""`);
    expect(() => registerBackend({ name: '', priority: 1, init: async () => {} })).toThrow(
      /Received: name=""/,
    );
    expect(() => registerBackend({ name: 'x', priority: Number.NaN, init: async () => {} })).toThrow(
      /Received: priority=NaN/,
    );
    expect(() => registerBackend({ name: 'auto', priority: 1, init: async () => {} })).toThrow(
      /other than 'auto'/,
    );
  });
});
