/**
 * `@strata/onnx/graph`: the ONNX graph builder and model encoder alone, without the layer converters (and
 * so without `@strata/layers`). `@strata/backends/native` builds its one-op ONNX Runtime models with it.
 *
 * @module @strata/onnx/graph
 */
export { type AttrValue, floatAttr, OnnxGraph, type ValueType } from './onnx-graph.js';
export { encodeModelProto } from './proto/onnx-proto.js';
