// Encodes ONNX protobuf messages with protobufjs (its light build, from the generated JSON descriptor).
import protobuf from 'protobufjs/light.js';

import { ONNX_DESCRIPTOR } from './onnx-descriptor.js';

/** ONNX `TensorProto.DataType` codes for the element types the exporter writes. */
export const ElemType = { FLOAT: 1, INT32: 6, INT64: 7, STRING: 8, BOOL: 9 } as const;
/** ONNX `AttributeProto.AttributeType` codes. */
export const AttrType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

let modelProto: protobuf.Type | null = null;

/** Encodes a plain `onnx.ModelProto` object (field names in protobufjs's camelCase) to bytes. */
export function encodeModelProto(model: Record<string, unknown>): Uint8Array {
  modelProto ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR as protobuf.INamespace).lookupType('onnx.ModelProto');
  const problem = modelProto.verify(model);
  if (problem) throw new Error(`Internal error: the ONNX model does not match onnx.proto: ${problem}`);
  return modelProto.encode(modelProto.fromObject(model)).finish();
}
