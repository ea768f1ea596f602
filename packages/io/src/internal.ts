/**
 * `@strata/io/internal`: the pieces `@strata/io` is built from (HDF5 and zip readers and writers, the
 * Keras 3, legacy .h5 and TF.js layouts), for Strata's own tests and tools. Not a public API: names and
 * signatures here change without notice. Users save and load through `@strata/io`'s entry point.
 *
 * @module @strata/io/internal
 */

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
export { checkModelConfig } from './model-config.js';
export { modelFiles } from './save-model.js';
export { type FileFormat, sniffFormat } from './sniff.js';
export { buildTfjsFiles, decodeTfjsWeights, type TfjsModelJSON, toKeras2Config } from './tfjs/tfjs-format.js';
export { buildKerasWeightsTree, containerNames, planKerasWeightsLoad } from './weights/keras-weights.js';
