// Normalization and Rescaling: fixed affine maps at inference.
import * as tf from '@tensorflow/tfjs-core';

import { registerOnnxConverter } from './converter.js';

/** Keras's backend epsilon, the floor of Normalization's standard deviation. */
const EPSILON = 1e-7;

registerOnnxConverter('Normalization', {
  // (x - mean) / max(sqrt(variance), epsilon), or its inverse; the statistics come shaped for broadcasting,
  // from the layer itself (adapted weights or the mean and variance it was given).
  convert: ({ graph, layer, config, inputs }) => {
    const [mean, variance] = tf.tidy(() =>
      (layer as unknown as { statistics(): [tf.Tensor, tf.Tensor] }).statistics().map((t) => ({
        data: Float32Array.from(t.dataSync() as ArrayLike<number>),
        shape: t.shape.slice(),
      })),
    );
    const std = variance.data.map((v) => Math.max(Math.sqrt(v), EPSILON));
    const x = graph.op1('Cast', [inputs[0]], { to: 1 });
    const m = graph.floats('mean', mean.data, mean.shape);
    const s = graph.floats('std', std, variance.shape);
    return [
      config.invert
        ? graph.op1('Add', [m, graph.op1('Mul', [x, s])])
        : graph.op1('Div', [graph.op1('Sub', [x, m]), s]),
    ];
  },
});

registerOnnxConverter('Rescaling', {
  convert: ({ graph, config, inputs }) => {
    const constant = (name: string, v: number | number[]) =>
      Array.isArray(v) ? graph.floats(name, v, [v.length]) : graph.floats(name, [v], []);
    const x = graph.op1('Cast', [inputs[0]], { to: 1 });
    return [
      graph.op1('Add', [
        graph.op1('Mul', [x, constant('scale', config.scale)]),
        constant('offset', config.offset),
      ]),
    ];
  },
});
