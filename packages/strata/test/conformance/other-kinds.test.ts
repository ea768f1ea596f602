/**
 * The registry kinds without numeric goldens: callbacks, backends and io functions. Every registered name
 * must be allow-listed with the reason it has no Keras golden, so a new name is noticed.
 */
import { describe } from 'vitest';

import '../../src/index.js';
import { walkKind } from './harness.js';

describe('callbacks, backends and io in the registry', () => {
  walkKind('callback', [], () => {});
  walkKind('backend', [], () => {});
  walkKind('io', [], () => {});
});
