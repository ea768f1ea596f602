// Flatten, Reshape, Permute, RepeatVector: channels-last shapes, so these map to ONNX ops directly.
import { registerOnnxConverter } from './converter.js';

const channelsFirstProblem = (config: Record<string, any>) =>
  config.dataFormat === 'channels_first' ? 'dataFormat=channels_first' : null;

registerOnnxConverter('Flatten', {
  check: (_layer, node, config) =>
    node.inputTensors[0].shape.length > 2 ? channelsFirstProblem(config) : null,
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

// Nearest upsampling by integer factors repeats each step or pixel: Resize with floor on asymmetric
// coordinates does exactly that. Bilinear follows Keras's resize (half-pixel centres).
for (const className of ['UpSampling1D', 'UpSampling2D']) {
  registerOnnxConverter(className, {
    check: (_layer, _node, config) => channelsFirstProblem(config),
    convert: ({ graph, config, inputs, inputShapes }) => {
      const size: number[] = Array.isArray(config.size) ? config.size : [config.size];
      const rank = inputShapes[0].length;
      const scales = graph.floats('scales', [1, ...size, ...Array(rank - 1 - size.length).fill(1)], [rank]);
      const attrs: Record<string, string> =
        (config.interpolation ?? 'nearest') === 'nearest'
          ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
          : { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
      return [graph.op1('Resize', [inputs[0], '', scales], attrs)];
    },
  });
}

/** Keras's padding or cropping config as [[before, after], ...] per spatial axis. */
function pairs(v: number | number[] | number[][]): number[][] {
  if (typeof v === 'number') return [[v, v]];
  return Array.isArray(v[0]) ? (v as number[][]) : [v as number[]];
}

for (const className of ['ZeroPadding1D', 'ZeroPadding2D']) {
  registerOnnxConverter(className, {
    check: (_layer, _node, config) => channelsFirstProblem(config),
    convert: ({ graph, config, inputs }) => {
      const p = pairs(config.padding);
      const pads = [0, ...p.map((q) => q[0]), 0, 0, ...p.map((q) => q[1]), 0];
      return [graph.op1('Pad', [inputs[0], graph.int64s('pads', pads)])];
    },
  });
}

for (const className of ['Cropping1D', 'Cropping2D']) {
  registerOnnxConverter(className, {
    check: (_layer, _node, config) => channelsFirstProblem(config),
    convert: ({ graph, config, inputs, inputShapes }) => {
      const c = pairs(config.cropping);
      const axes = c.map((_, i) => i + 1);
      // An end of -0 would mean the start: a zero crop at the end runs to the axis's length instead.
      const ends = c.map((q, i) => (q[1] === 0 ? (inputShapes[0][i + 1] ?? Number.MAX_SAFE_INTEGER) : -q[1]));
      return [
        graph.op1('Slice', [
          inputs[0],
          graph.int64s(
            'starts',
            c.map((q) => q[0]),
          ),
          graph.int64s('ends', ends),
          graph.int64s('axes', axes),
        ]),
      ];
    },
  });
}
