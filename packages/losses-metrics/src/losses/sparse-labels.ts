import { activeBackendMemory, formatShape, ValueError } from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * Whether the sparse losses read the labels to check their range on every call. Where tensors live in host
 * memory, reading labels is a copy, not a device sync. On a backend whose description says its values live on
 * a device (webgl, webgpu) the read would stall the pipeline once per batch, so there out-of-range ids instead
 * turn the loss into NaN on the device (as TensorFlow does on GPU) and `validateSparseLabels` is left for
 * callers that want the explicit check once. A backend no plug-in describes (tfjs's own 'cpu', 'wasm' or
 * tfjs-node's 'tensorflow' without @strata/backends) is checked: the error is worth more than the read.
 */
export function labelRangeIsChecked(): boolean {
  return activeBackendMemory() !== 'device';
}

/**
 * Reads integer class ids on the host and fails when one is outside `[0, numClasses)` (ids equal to
 * `ignoreClass` are allowed). The message names the offending value and both shapes.
 */
export function validateSparseLabels(
  what: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  ignoreClass: number | null = null,
): void {
  const numClasses = yPred.shape[yPred.rank - 1] as number;
  const values = yTrue.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (ignoreClass !== null && v === ignoreClass) continue;
    if (!(v >= 0 && v < numClasses) || !Number.isInteger(v)) {
      throw new ValueError(
        `In ${what}, received a class id of ${v} (at flat index ${i}), which is not an integer in the valid ` +
          `range [0, ${numClasses}) given by the last axis of \`y_pred\`. ` +
          `Received: y_true.shape=${formatShape(yTrue.shape)}, y_pred.shape=${formatShape(yPred.shape)}`,
      );
    }
  }
}
