/** `Flatten` in a compiled training step: a reshape, and the reshape back for its gradient. */
import type { Layer } from '@strata/core';

import { reshape } from './dense.js';
import { shapeIn } from './layout.js';
import type { StepLayerFactory } from './types.js';

/** Flatten (channels-last order, as Keras flattens): `[batch, ...]` to `[batch, product]`. */
export const flattenStepLayer: StepLayerFactory = (layer: Layer, shape, layout) => {
  const inputShape = shapeIn(shape, layout, 'keras');
  if ((layer as Layer & { dataFormat?: string }).dataFormat === 'channels_first')
    return `layer "${layer.name}": Flatten with dataFormat 'channels_first' is not compiled`;
  const outputShape = [inputShape[0], inputShape.slice(1).reduce((a, b) => a * b, 1)];
  return {
    inputLayout: 'keras',
    outputLayout: 'keras',
    outputShape,
    forward: (g, x) => reshape(g, x, outputShape),
    backward: (g, dy, needInputGrad) => ({
      dx: needInputGrad ? reshape(g, dy, inputShape) : null,
      dWeights: [],
    }),
  };
};
