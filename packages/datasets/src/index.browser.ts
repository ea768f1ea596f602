/**
 * @strata/datasets for browsers: the same API as the Node entry, except that `mnist.loadData` fetches a
 * packed asset (`url`) instead of reading files, and the file-writing helpers are absent.
 */

export * as iris from './iris/index.js';
export {
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxArray,
  type ParseIdxOptions,
  parseIdx,
} from './mnist/idx.js';
export * as mnist from './mnist/index.browser.js';
