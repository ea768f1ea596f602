/**
 * `Dropout` in a compiled training step: ONNX's `Dropout` in training mode keeps each value with
 * probability `1 - rate` and scales the kept ones by `1 / (1 - rate)`, as Keras does; the gradient goes
 * through the same mask and scale. The mask comes from ONNX Runtime's generator, so it is not the one the
 * uncompiled step would draw from the layer's seed.
 */
import type { Layer } from '@strata/core';

import type { StepLayerFactory } from './types.js';

/** ONNX's element types (TensorProto.DataType) of the casts. */
const FLOAT = 1;
const BOOL = 9;

/** Dropout, in whatever layout its input comes (it is element-wise); the identity at rate 0. */
export const dropoutStepLayer: StepLayerFactory = (layer: Layer, inputShape, inputLayout) => {
  const { rate, noiseShape } = layer as Layer & { rate: number; noiseShape: unknown[] | null };
  if (noiseShape != null) return `layer "${layer.name}": Dropout with a noiseShape is not compiled`;
  let mask = '';
  let scale = '';
  return {
    inputLayout,
    outputLayout: inputLayout,
    outputShape: inputShape,
    forward(g, x, _weights, training) {
      if (!training || rate === 0) return x;
      // training_mode is a bool scalar; OnnxGraph writes float initializers, so a Cast makes it (folded at load).
      const trainingMode = g.op1('Cast', [g.floats('training_mode', [1], [])], { to: BOOL });
      const [y, kept] = g.op('Dropout', [x, g.floats('ratio', [rate], []), trainingMode], {}, 2);
      mask = kept;
      scale = g.floats('scale', [1 / (1 - rate)], []);
      return y;
    },
    backward(g, dy, needInputGrad) {
      if (!needInputGrad) return { dx: null, dWeights: [] };
      if (!mask) return { dx: dy, dWeights: [] };
      const kept = g.op1('Cast', [mask], { to: FLOAT });
      return { dx: g.op1('Mul', [g.op1('Mul', [dy, kept]), scale]), dWeights: [] };
    },
  };
};
