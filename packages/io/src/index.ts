import { register } from '@strata/core';

import { loadModel, loadWeights } from './load-model.js';
import { saveModel, saveWeights } from './save-model.js';

export { loadModel, loadWeights, type LoadModelOptions, type LoadWeightsOptions } from './load-model.js';
export { saveModel, saveWeights, modelFiles, type SaveModelOptions, type SaveFormat } from './save-model.js';
export { modelFromJSON, checkModelConfig } from './model-config.js';
export type { ModelSource } from './sources.js';
export { sniffFormat, type FileFormat } from './sniff.js';
export { DEFAULT_READ_LIMITS, type ReadLimits } from './limits.js';
export { KERAS_FORMAT_VERSION } from './keras-version.js';
export { ZipArchive, type ZipEntry } from './keras-zip/zip-reader.js';
export { writeZip } from './keras-zip/zip-writer.js';
export { readKerasArchive, writeKerasArchive, type KerasArchive } from './keras-zip/keras-archive.js';
export { readHdf5 } from './hdf5/read-h5.js';
export { writeHdf5 } from './hdf5/write-h5.js';
export { type H5Group, type H5Dataset, type H5Node, type H5AttrValue, getNode, getGroup } from './hdf5/h5-tree.js';
export { buildKerasWeightsTree, planKerasWeightsLoad, containerNames } from './weights/keras-weights.js';
export { readLegacyH5, buildLegacyH5, planLegacyWeightsLoad } from './legacy-h5/legacy-h5.js';
export { buildTfjsFiles, decodeTfjsWeights, toKeras2Config, type TfjsModelJSON } from './tfjs/tfjs-format.js';
export { MemoryTarget } from './targets/memory-target.js';
export { IndexedDBTarget, DownloadTarget } from './targets/browser-targets.js';
export type { SaveTarget, LoadSource, SavedFile } from './targets/target.js';

// Core's Model.save / saveWeights / loadWeights find these through the registry.
register('io', 'saveModel', saveModel, { module: '@strata/io' });
register('io', 'saveWeights', saveWeights, { module: '@strata/io' });
register('io', 'loadWeights', loadWeights, { module: '@strata/io' });
register('io', 'loadModel', loadModel, { module: '@strata/io' });
