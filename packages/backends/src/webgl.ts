/**
 * `import '@strata/backends/webgl'` registers tfjs's WebGL backend with Strata (browsers with WebGL2).
 *
 * @module @strata/backends/webgl
 */
import { RuntimeError } from '@strata/core';
import '@tensorflow/tfjs-backend-webgl';

import { hasWebGL2, webglDescription } from './builtin-backends.js';
import { webglKernelFixes } from './kernels/webgl/index.js';
import { registerBackend } from './strata-backend.js';

/** Strata's entry for tfjs's WebGL backend, registered by importing `@strata/backends/webgl`. */
export const webglBackend = registerBackend(
  {
    ...webglDescription,
    kernelFixes: webglKernelFixes,
    async init() {
      // tfjs would only log a warning and stay on the old backend; say plainly why it cannot work.
      if (!hasWebGL2()) {
        throw new RuntimeError(
          "Backend 'webgl' failed to initialise: no WebGL2 context could be created here " +
            '(not a browser, WebGL disabled, or the GPU is blocklisted).',
        );
      }
    },
  },
  { module: webglDescription.entry, override: true },
);
