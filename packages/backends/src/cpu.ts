/** `import '@strata/backends/cpu'` registers tfjs's plain-JavaScript backend with Strata: slow, but runs anywhere. */
import '@tensorflow/tfjs-backend-cpu';

import { cpuKernelFixes } from './kernels/cpu/index.js';
import { registerBackend } from './strata-backend.js';

export const cpuBackend = registerBackend(
  {
    name: 'cpu',
    priority: 1,
    tfjsPackage: '@tensorflow/tfjs-backend-cpu',
    async init() {},
    kernelFixes: cpuKernelFixes,
  },
  { module: '@strata/backends/cpu', override: true },
);
