/** `compile({ jitCompile })` in `.keras` files: written as `compile_config.jit_compile`, read back by `loadModel`. */
import { Sequential } from '@strata/core';
import { Dense } from '@strata/layers';
import '@strata/losses-metrics';
import '@strata/optimizers';
import { describe, expect, it } from 'vitest';

import { loadModel, MemoryTarget, saveModel } from '../src/index.js';
import { readKerasArchive } from '../src/internal.js';
import { DEFAULT_READ_LIMITS } from '../src/limits.js';

describe('jit_compile in compile_config', () => {
  for (const jitCompile of [false, 'auto'] as const) {
    it(`jitCompile: ${jitCompile} survives save and load`, async () => {
      const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
      model.compile({ optimizer: 'sgd', loss: 'mse', jitCompile });
      const mem = new MemoryTarget();
      await saveModel(model, mem);
      const archive = readKerasArchive(mem.bytes, DEFAULT_READ_LIMITS);
      expect((archive.config.compile_config as Record<string, unknown>).jit_compile).toBe(jitCompile);
      const loaded = await loadModel(mem);
      expect(loaded.compiled).toBe(true);
      expect(loaded.jitCompile).toBe(jitCompile);
      model.dispose();
      loaded.dispose();
    });
  }
});
