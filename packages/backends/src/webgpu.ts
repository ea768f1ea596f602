/**
 * `import '@strata/backends/webgpu'` registers tfjs's WebGPU backend with Strata (browsers with WebGPU),
 * with the kernels training needs there.
 *
 * @module @strata/backends/webgpu
 */
import '@tensorflow/tfjs-backend-webgpu';
import { RuntimeError } from '@strata/core';

import { probeWebGPU, webgpuDescription } from './builtin-backends.js';
import { webgpuKernelFixes } from './kernels/webgpu/index.js';
import { registerBackend } from './strata-backend.js';

/**
 * Strata's entry for tfjs's WebGPU backend, registered by importing `@strata/backends/webgpu`.
 * `setBackend('webgpu')` runs on any adapter, SwiftShader's included; `setBackend('auto')` picks it only
 * on a hardware adapter.
 */
export const webgpuBackend = registerBackend(
  {
    ...webgpuDescription,
    kernelFixes: webgpuKernelFixes,
    async init() {
      // Without an adapter tfjs only logs a warning and stays on the old backend; say plainly why.
      const probe = await probeWebGPU();
      if (probe.kind === 'none') {
        throw new RuntimeError(`Backend 'webgpu' failed to initialise: ${probe.reason}.`);
      }
    },
  },
  { module: webgpuDescription.entry, override: true },
);
