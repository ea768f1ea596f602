// Flatten, Reshape, Permute, RepeatVector: channels-last shapes, so these map to ONNX ops directly.
import { registerOnnxConverter } from './converter.js';

const channelsFirstProblem = (config: Record<string, any>) =>
  config.dataFormat === 'channels_first' ? 'dataFormat=channels_first' : null;

registerOnnxConverter('Flatten', {
  check: (_layer, node, config) => (node.inputTensors[0].shape.length > 2 ? channelsFirstProblem(config) : null),
  convert: ({ graph, inputs }) => [graph.op1('Flatten', [inputs[0]], { axis: 1 })],
});

registerOnnxConverter('Reshape', {
  // A 0 in ONNX's Reshape shape copies the input's dimension: here, the batch.
  convert: ({ graph, config, inputs }) => [
    graph.op1('Reshape', [inputs[0], graph.int64s('shape', [0, ...(config.targetShape as number[])])]),
  ],
});

registerOnnxConverter('Permute', {
  convert: ({ graph, config, inputs }) => [
    graph.op1('Transpose', [inputs[0]], { perm: [0, ...(config.dims as number[])] }),
  ],
});

registerOnnxConverter('RepeatVector', {
  convert: ({ graph, config, inputs }) => {
    const expanded = graph.op1('Unsqueeze', [inputs[0], graph.int64s('axes', [1])]);
    return [graph.op1('Tile', [expanded, graph.int64s('repeats', [1, config.n, 1])])];
  },
});
