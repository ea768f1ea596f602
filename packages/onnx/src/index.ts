import { register } from '@strata/core';

import './converters/activations.js';
import './converters/attention.js';
import './converters/convolutional.js';
import './converters/core.js';
import './converters/lookup.js';
import './converters/merging.js';
import './converters/normalization.js';
import './converters/pooling.js';
import './converters/preprocessing.js';
import './converters/recurrent.js';
import './converters/reshaping.js';
import './converters/wrappers.js';
import { exportOnnx } from './export-onnx.js';

export {
  type LayerCall,
  type LayerConverter,
  registerOnnxConverter,
  supportedLayers,
  type WeightData,
} from './converters/converter.js';
export { exportOnnx, ONNX_OPSET, type OnnxExportOptions, toOnnx } from './export-onnx.js';
export { type AttrValue, floatAttr, OnnxGraph, type ValueType } from './onnx-graph.js';

// Core's Model.export finds the format through the registry.
register('export', 'onnx', exportOnnx, { module: '@strata/onnx' });
