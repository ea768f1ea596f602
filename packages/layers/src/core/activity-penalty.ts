import type { Layer } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import type { Regularizer } from '../regularizers/index.js';

/**
 * Keras's activity regularization: a penalty on a layer's output, added as a loss while training. The
 * penalties are kept so that `clearCallLosses` can free them: a training step made outside a tidy would
 * otherwise leak one scalar per call.
 */
export class ActivityPenalty {
  private penalties: tf.Scalar[] = [];

  constructor(private readonly regularizer: Regularizer | null) {}

  record(layer: Layer, output: tf.Tensor, training: boolean | undefined): void {
    if (!this.regularizer || !training) return;
    const loss = this.regularizer.apply(output);
    this.penalties.push(loss);
    layer.addLoss(loss);
  }

  clear(): void {
    tf.dispose(this.penalties);
    this.penalties = [];
  }
}
