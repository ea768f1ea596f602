import { findBackend } from '@strata/backends';
import '@strata/backends/cpu';
import '@strata/backends/wasm';
import { describe, expect, it } from 'vitest';

import { webglBackend } from '../src/webgl.js';

describe("backend entries say where their tensors live (core's trainer reads hostMemory)", () => {
  it('cpu and wasm keep values in host memory; webgl does not', () => {
    expect(findBackend('cpu')?.hostMemory).toBe(true);
    expect(findBackend('wasm')?.hostMemory).toBe(true);
    expect(webglBackend.hostMemory ?? false).toBe(false);
  });
});
