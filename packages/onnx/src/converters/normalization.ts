// BatchNormalization (inference: the moving statistics) and LayerNormalization, on any axes.
import type { Shape } from '@strata/core';

import { registerOnnxConverter } from './converter.js';

/** Non-negative axes of a rank-`rank` tensor, from Keras's int or list (negative counts from the end). */
function normalizeAxes(axis: number | number[], rank: number): number[] {
  return (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/** The shape a per-axis parameter broadcasts with: the axes' sizes, 1 elsewhere, without the batch. */
function broadcastShape(shape: Shape, axes: number[]): number[] {
  return shape.slice(1).map((d, i) => (axes.includes(i + 1) ? (d as number) : 1));
}

registerOnnxConverter('BatchNormalization', {
  // (x - moving_mean) * gamma / sqrt(moving_variance + epsilon) + beta, the factor folded into one constant.
  convert: ({ graph, config, inputs, inputShapes, weights }) => {
    const axes = normalizeAxes(config.axis, inputShapes[0].length);
    const dims = broadcastShape(inputShapes[0], axes);
    let i = 0;
    const gamma = config.scale ? weights[i++].data : null;
    const beta = config.center ? weights[i++].data : null;
    const mean = weights[i++].data;
    const variance = weights[i++].data;
    const factor = variance.map((v, j) => (gamma ? gamma[j] : 1) / Math.sqrt(v + config.epsilon));
    let y = graph.op1('Sub', [inputs[0], graph.floats('moving_mean', mean, dims)]);
    y = graph.op1('Mul', [y, graph.floats('scale', factor, dims)]);
    if (beta) y = graph.op1('Add', [y, graph.floats('beta', beta, dims)]);
    return [y];
  },
});

registerOnnxConverter('LayerNormalization', {
  convert: ({ graph, config, inputs, inputShapes, weights }) => {
    const axes = normalizeAxes(config.axis, inputShapes[0].length);
    const dims = broadcastShape(inputShapes[0], axes);
    const x = inputs[0];
    const eps = graph.floats('epsilon', [config.epsilon], []);
    let i = 0;
    const gamma = config.scale ? weights[i++] : null;
    const beta = config.center && !config.rmsScaling ? weights[i++] : null;
    const centered = graph.op1('Sub', [x, graph.reduce('ReduceMean', x, axes, true)]);
    const variance = graph.reduce('ReduceMean', graph.op1('Mul', [centered, centered]), axes, true);
    const std = graph.op1('Sqrt', [graph.op1('Add', [variance, eps])]);
    // Keras 3.15's rms_scaling divides the uncentered input by the standard deviation (see the layer).
    let y = graph.op1('Div', [config.rmsScaling ? x : centered, std]);
    if (gamma) y = graph.op1('Mul', [y, graph.floats('gamma', gamma.data, dims)]);
    if (beta) y = graph.op1('Add', [y, graph.floats('beta', beta.data, dims)]);
    return [y];
  },
});
