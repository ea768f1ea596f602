// TimeDistributed: the batch and time axes merged, the wrapped layer's own converter, then split again,
// as Keras runs it.
import type { Layer } from '@strata/core';

import { converterFor, layerClassName, readLayerWeights, registerOnnxConverter } from './converter.js';

registerOnnxConverter('TimeDistributed', {
  check: (layer, node) => {
    const inner = (layer as unknown as { layer: Layer }).layer;
    const className = layerClassName(inner);
    const converter = converterFor(className);
    if (!converter || className === 'TimeDistributed')
      return `the wrapped ${className} has no ONNX converter`;
    const [input] = node.inputTensors;
    const [output] = node.outputTensors;
    if ([...input.shape.slice(1), ...output.shape.slice(1)].some((d) => d == null))
      return 'a time or feature dimension unknown until run time';
    const problem = converter.check?.(inner, node, inner.getConfig() as Record<string, any>);
    return problem ? `the wrapped ${className}: ${problem}` : null;
  },
  convert: (call) => {
    const { graph, node } = call;
    const inner = (call.layer as unknown as { layer: Layer }).layer;
    const inShape = node.inputTensors[0].shape as number[];
    const outShape = node.outputTensors[0].shape as number[];
    const merged = graph.op1('Reshape', [call.inputs[0], graph.int64s('shape', [-1, ...inShape.slice(2)])]);
    const [y] = converterFor(layerClassName(inner))!.convert({
      ...call,
      layer: inner,
      config: inner.getConfig() as Record<string, any>,
      inputs: [merged],
      inputShapes: [[null, ...inShape.slice(2)]],
      outputShapes: [[null, ...outShape.slice(2)]],
      weights: readLayerWeights(inner),
    });
    return [graph.op1('Reshape', [y, graph.int64s('shape', [-1, ...outShape.slice(1)])])];
  },
});
