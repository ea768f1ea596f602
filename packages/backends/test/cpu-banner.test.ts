import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { cpuBackend } from '../src/cpu.js';

afterEach(() => vi.restoreAllMocks());

describe('@strata/backends/cpu in Node', () => {
  it("never prints tfjs's tfjs-node banner, even for a CPU backend instance made after import", async () => {
    expect(tf.env().getBool('IS_NODE')).toBe(true);
    // A fresh tfjs CPU instance (its `firstUse` flag set), as after tf.removeBackend and re-registration.
    tf.removeBackend('cpu');
    tf.registerBackend('cpu', () => new MathBackendCPU(), 1);
    const warn = vi.spyOn(console, 'warn');
    await cpuBackend.init();
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    const messages = warn.mock.calls.map((args) => args.join(' '));
    expect(messages.filter((m) => m.includes('tfjs-node'))).toEqual([]);
  });
});
