import type { Layer } from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

import type { Regularizer } from '../regularizers/index.js';

/**
 * Keras's activity regularization: a penalty on a layer's output, added as a loss while training.
 * Core's `Layer.clearCallLosses` frees it, so an eager training call made outside a tidy does not leak.
 */
export function addActivityPenalty(
  layer: Layer,
  regularizer: Regularizer | null,
  output: tf.Tensor,
  training: boolean | undefined,
): void {
  if (regularizer && training) layer.addLoss(regularizer.apply(output));
}
