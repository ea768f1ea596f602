import { register } from '@strata/core';

import { loadModel, loadWeights } from './load-model.js';
import { saveModel, saveWeights } from './save-model.js';

export { DEFAULT_READ_LIMITS, type ReadLimits } from './limits.js';
export { type LoadModelOptions, type LoadWeightsOptions, loadModel, loadWeights } from './load-model.js';
export { modelFromJSON } from './model-config.js';
export { type SaveFormat, type SaveModelOptions, saveModel, saveWeights } from './save-model.js';
export type { ModelSource } from './sources.js';
export { DownloadTarget, IndexedDBTarget } from './targets/browser-targets.js';
export { MemoryTarget } from './targets/memory-target.js';
export type { LoadSource, SavedFile, SaveTarget } from './targets/target.js';

// Core's Model.save / saveWeights / loadWeights find these through the registry.
register('io', 'saveModel', saveModel, { module: '@strata/io' });
register('io', 'saveWeights', saveWeights, { module: '@strata/io' });
register('io', 'loadWeights', loadWeights, { module: '@strata/io' });
register('io', 'loadModel', loadModel, { module: '@strata/io' });
