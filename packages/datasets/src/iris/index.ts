export { featureNames, loadData, targetNames } from './load-data.js';
