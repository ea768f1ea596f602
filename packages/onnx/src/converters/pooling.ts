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
    convert: ({ graph, config, inputs, inputShapes, masks }) => {
      const axes = Array.from({ length: inputShapes[0].length - 2 }, (_, i) => i + 1);
      const keepdims = Boolean(config.keepdims);
      if (className !== 'GlobalAveragePooling1D' || !masks[0])
        return [graph.reduce(opType, inputs[0], axes, keepdims)];
      // Keras: the mean over the kept steps. Masked values are replaced by zeros, not multiplied by them,
      // so that an inf or NaN there stays out.
      const keep = graph.op1('Unsqueeze', [masks[0], graph.int64s('axes', [2])]);
      const x = graph.op1('Cast', [inputs[0]], { to: 1 });
      const total = graph.reduce(
        'ReduceSum',
        graph.op1('Where', [keep, x, graph.floats('zero', [0], [])]),
        [1],
        keepdims,
      );
      const count = graph.reduce('ReduceSum', graph.op1('Cast', [keep], { to: 1 }), [1], keepdims);
      return [graph.op1('Div', [total, count])];
    },
  });
}
