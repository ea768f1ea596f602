import { register } from '@strata/core';

import { loadModel, loadWeights } from './load-model.js';
import { saveModel, saveWeights } from './save-model.js';

export {
  getGroup,
  getNode,
  type H5AttrValue,
  type H5Dataset,
  type H5Group,
  type H5Node,
} from './hdf5/h5-tree.js';
export { readHdf5 } from './hdf5/read-h5.js';
export { writeHdf5 } from './hdf5/write-h5.js';
export { KERAS_FORMAT_VERSION } from './keras-version.js';
export { type KerasArchive, readKerasArchive, writeKerasArchive } from './keras-zip/keras-archive.js';
export { ZipArchive, type ZipEntry } from './keras-zip/zip-reader.js';
export { writeZip } from './keras-zip/zip-writer.js';
export { buildLegacyH5, planLegacyWeightsLoad, readLegacyH5 } from './legacy-h5/legacy-h5.js';
export { DEFAULT_READ_LIMITS, type ReadLimits } from './limits.js';
export { type LoadModelOptions, type LoadWeightsOptions, loadModel, loadWeights } from './load-model.js';
export { checkModelConfig, modelFromJSON } from './model-config.js';
export { modelFiles, type SaveFormat, type SaveModelOptions, saveModel, saveWeights } from './save-model.js';
export { type FileFormat, sniffFormat } from './sniff.js';
export type { ModelSource } from './sources.js';
export { DownloadTarget, IndexedDBTarget } from './targets/browser-targets.js';
export { MemoryTarget } from './targets/memory-target.js';
export type { LoadSource, SavedFile, SaveTarget } from './targets/target.js';
export { buildTfjsFiles, decodeTfjsWeights, type TfjsModelJSON, toKeras2Config } from './tfjs/tfjs-format.js';
export { buildKerasWeightsTree, containerNames, planKerasWeightsLoad } from './weights/keras-weights.js';

// Core's Model.save / saveWeights / loadWeights find these through the registry.
register('io', 'saveModel', saveModel, { module: '@strata/io' });
register('io', 'saveWeights', saveWeights, { module: '@strata/io' });
register('io', 'loadWeights', loadWeights, { module: '@strata/io' });
register('io', 'loadModel', loadModel, { module: '@strata/io' });
