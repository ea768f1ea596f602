/**
 * The registry kinds without numeric goldens: callbacks, backends and io functions. Every registered name
 * must be allow-listed with the reason it has no Keras golden, so a new name is noticed. Every backend entry
 * point that loads in Node is imported, so the walk sees the same names whichever test files ran before
 * this one in the process.
 */
import { describe } from 'vitest';

import '../../src/index.js';
import '@strata/backends/native';
import '@strata/backends/wasm';
import '@strata/backends/webgl';
import '@strata/backends/webgpu';
import { walkKind } from './harness.js';

describe('callbacks, backends and io in the registry', () => {
  walkKind('callback', [], () => {});
  walkKind('backend', [], () => {});
  walkKind('io', [], () => {});
});
