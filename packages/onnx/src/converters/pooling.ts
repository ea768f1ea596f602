// Max and average pooling (1D, 2D) and the global poolings, on channels-last inputs.
import { registerOnnxConverter } from './converter.js';
import { spatialDims, toChannelsFirst, toChannelsLast, windowPadding } from './layout.js';

const channelsFirstProblem = (config: Record<string, any>) =>
  config.dataFormat === 'channels_first' ? 'dataFormat=channels_first' : null;

const POOLS: [string, string][] = [
  ['MaxPooling1D', 'MaxPool'],
  ['MaxPooling2D', 'MaxPool'],
  ['AveragePooling1D', 'AveragePool'],
  ['AveragePooling2D', 'AveragePool'],
];
for (const [className, opType] of POOLS) {
  registerOnnxConverter(className, {
    check: (_layer, _node, config) => channelsFirstProblem(config),
    // AveragePool's count_include_pad=0 (the default) divides by the real values only, as Keras's 'same'.
    convert: ({ graph, config, inputs, inputShapes }) => {
      const rank = inputShapes[0].length;
      const poolSize: number[] = config.poolSize;
      const strides: number[] = config.strides ?? poolSize;
      const y = graph.op1(opType, [toChannelsFirst(graph, inputs[0], rank)], {
        kernel_shape: poolSize,
        strides,
        ...windowPadding(config.padding, spatialDims(inputShapes[0]), poolSize, strides),
      });
      return [toChannelsLast(graph, y, rank)];
    },
  });
}

const GLOBAL_POOLS: [string, string][] = [
  ['GlobalAveragePooling1D', 'ReduceMean'],
  ['GlobalAveragePooling2D', 'ReduceMean'],
  ['GlobalMaxPooling1D', 'ReduceMax'],
  ['GlobalMaxPooling2D', 'ReduceMax'],
];
for (const [className, opType] of GLOBAL_POOLS) {
  registerOnnxConverter(className, {
    check: (_layer, _node, config) => channelsFirstProblem(config),
    convert: ({ graph, config, inputs, inputShapes }) => {
      const axes = Array.from({ length: inputShapes[0].length - 2 }, (_, i) => i + 1);
      return [graph.reduce(opType, inputs[0], axes, Boolean(config.keepdims))];
    },
  });
}
