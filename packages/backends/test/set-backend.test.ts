import { registry } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  findBackend,
  getBackend,
  listBackends,
  registerBackend,
  type StrataBackend,
  setBackend,
} from '../src/index.js';
import { setEntryImporter } from '../src/set-backend.js';

afterEach(async () => {
  vi.restoreAllMocks();
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

  it("'auto' picks wasm in Node", async () => {
    await expect(setBackend('auto')).resolves.toBe('wasm');
    expect(getBackend()).toBe('wasm');
  });

  it("setBackend('webgl') in Node fails clearly instead of staying on the old backend", async () => {
    await setBackend('cpu');
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(setBackend('webgl')).rejects.toThrow(
      /Backend 'webgl' failed to initialise: no WebGL2 context/,
    );
    expect(getBackend()).toBe('cpu');
  });

  it("'auto' skips a backend that fails to initialise, with a warning", async () => {
    const init = vi.fn(async () => {
      throw new Error('no device here');
    });
    registerBackend({ name: 'test>broken', priority: 100, init });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(setBackend('auto')).resolves.toBe('wasm');
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
    expect(listBackends()).toEqual(['webgl', 'wasm', 'cpu']);
  });

  it('rejects unknown names and bad entries with what it received', async () => {
    await expect(setBackend('tpu' as 'cpu')).rejects.toThrow(
      /Unknown backend: 'tpu'. Known backends: webgl, wasm, cpu/,
    );
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
