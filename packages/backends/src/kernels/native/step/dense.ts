/** `Dense` in a compiled training step: one `Gemm` forward, two `Gemm`s and a row sum (a product) backward. */
import type { Layer } from '@strata/core';
import type { OnnxGraph } from '@strata/onnx/graph';

import { shapeIn } from './layout.js';
import type { StepLayerFactory } from './types.js';

/**
 * Dense's linear part (`x · kernel + bias`) on its input's last axis; the compiler adds the activation.
 * Inputs of rank > 2 run as one matrix of rows, as Strata's Dense does.
 */
export const denseStepLayer: StepLayerFactory = (layer: Layer, shape, layout) => {
  const inputShape = shapeIn(shape, layout, 'keras');
  const { units, useBias } = layer as Layer & { units: number; useBias: boolean };
  const inDim = inputShape[inputShape.length - 1];
  const rows = inputShape.slice(0, -1).reduce((a, b) => a * b, 1);
  const outputShape = [...inputShape.slice(0, -1), units];
  const flat = inputShape.length > 2;
  let x2 = '';
  let kernel = '';
  return {
    inputLayout: 'keras',
    outputLayout: 'keras',
    outputShape,
    forward(g, x, weights) {
      kernel = weights[0];
      x2 = flat ? reshape(g, x, [rows, inDim]) : x;
      const y = g.op1('Gemm', useBias ? [x2, kernel, weights[1]] : [x2, kernel]);
      return flat ? reshape(g, y, outputShape) : y;
    },
    backward(g, dy, needInputGrad) {
      const dy2 = flat ? reshape(g, dy, [rows, units]) : dy;
      const dWeights = [g.op1('Gemm', [x2, dy2], { transA: 1 })];
      // The bias's gradient, the sum of dy's rows, as a row of ones times dy: on two threads ONNX Runtime's
      // ReduceSum over the first axis took 0.095 ms of the bench MLP's step, MLAS's product 0.03.
      if (useBias)
        dWeights.push(g.op1('MatMul', [g.floats('ones', new Float32Array(rows).fill(1), [rows]), dy2]));
      if (!needInputGrad) return { dx: null, dWeights };
      const dx = g.op1('Gemm', [dy2, kernel], { transB: 1 });
      return { dx: flat ? reshape(g, dx, inputShape) : dx, dWeights };
    },
  };
};

/** Reshapes graph value `x` to the static `shape`. */
export function reshape(g: OnnxGraph, x: string, shape: readonly number[]): string {
  return g.op1('Reshape', [x, g.int64s('shape', [...shape])]);
}
