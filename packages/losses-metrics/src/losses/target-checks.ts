import { formatShape, ValueError } from '@strata/core';
import type * as tf from '@tensorflow/tfjs-core';

/** Keras's `backend.epsilon()`: the clipping margin for probabilities and the guard against division by zero. */
export const EPSILON = 1e-7;

function describe(yTrue: tf.Tensor, yPred: tf.Tensor): string {
  return `Received: y_true.shape=${formatShape(yTrue.shape)}, y_pred.shape=${formatShape(yPred.shape)}`;
}

/**
 * Fails unless targets and predictions have the same shape. Checked on the host from shapes alone, so it
 * costs nothing per batch and replaces tfjs's broadcast error with one that names both shapes.
 */
export function assertSameShape(what: string, yTrue: tf.Tensor, yPred: tf.Tensor): void {
  if (yTrue.rank !== yPred.rank) {
    throw new ValueError(
      `In ${what}, \`y_true\` and \`y_pred\` must have the same rank (ndim). ${describe(yTrue, yPred)}`,
    );
  }
  for (let i = 0; i < yTrue.rank; i++) {
    if (yTrue.shape[i] !== yPred.shape[i]) {
      throw new ValueError(
        `In ${what}, \`y_true\` and \`y_pred\` must have the same shape. ${describe(yTrue, yPred)}`,
      );
    }
  }
}

/**
 * Fails unless integer class ids `yTrue` match `yPred` on every axis but the last (the class axis).
 * Expects `yTrue` already squeezed of a trailing axis of 1.
 */
export function assertSparseShapes(what: string, yTrue: tf.Tensor, yPred: tf.Tensor): void {
  if (yPred.rank < 1 || yTrue.rank !== yPred.rank - 1) {
    throw new ValueError(
      `In ${what}, \`y_true\` must hold integer class ids with rank \`y_pred.rank - 1\` (or a trailing axis of 1); ` +
        `for one-hot targets use the categorical variant. ${describe(yTrue, yPred)}`,
    );
  }
  for (let i = 0; i < yTrue.rank; i++) {
    if (yTrue.shape[i] !== yPred.shape[i]) {
      throw new ValueError(
        `In ${what}, \`y_true\` and \`y_pred\` must have the same shape up until the last axis. ${describe(yTrue, yPred)}`,
      );
    }
  }
}

/** Resolves a possibly negative axis against a rank, failing with Keras's wording when it is out of range. */
export function normalizeAxis(what: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new ValueError(
      `In ${what}, \`axis\` must be an integer in [-${rank}, ${rank}). Received: axis=${axis}`,
    );
  }
  return a;
}
