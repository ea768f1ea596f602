/**
 * The crossentropy family as plain functions (Keras's `keras.losses.binary_crossentropy` and friends). Each
 * returns per-sample values, reduced over the class axis; the loss and metric classes wrap them.
 */
import { ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { labelRangeIsChecked, validateSparseLabels } from './sparse-labels.js';
import { assertSameShape, assertSparseShapes, EPSILON, normalizeAxis } from './target-checks.js';

/** Options of the crossentropy computation shared by the losses and metrics of that name. */
export interface CrossentropyOptions {
  fromLogits?: boolean;
  labelSmoothing?: number;
  axis?: number;
}

/** Options of the binary focal crossentropy computation shared by the loss and its metric. */
export interface BinaryFocalOptions extends CrossentropyOptions {
  applyClassBalancing?: boolean;
  /** The weight of class 1 when `applyClassBalancing` is set; class 0 gets `1 - alpha`. */
  alpha?: number;
  gamma?: number;
}

/** Options of the categorical focal crossentropy computation shared by the loss and its metric. */
export interface CategoricalFocalOptions extends CrossentropyOptions {
  /** One weight for all classes, or one per class. */
  alpha?: number | number[];
  gamma?: number;
}

/** Options of the sparse categorical crossentropy computation shared by the loss and its metric. */
export interface SparseCrossentropyOptions {
  fromLogits?: boolean;
  ignoreClass?: number | null;
  axis?: number;
}

function toFloat(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/** Probabilities are kept inside [eps, 1 - eps] so that log() stays finite, as in Keras. */
function clipProbabilities(p: tf.Tensor): tf.Tensor {
  return tf.clipByValue(p, EPSILON, 1 - EPSILON);
}

/** `x - logsumexp(x)` along any axis (tfjs's logSoftmax only supports the last one). */
function logSoftmax(logits: tf.Tensor, axis: number): tf.Tensor {
  return tf.sub(logits, tf.logSumExp(logits, axis, true));
}

/**
 * Elementwise binary crossentropy (Keras's `ops.binary_crossentropy`). From logits it uses the stable form
 * `max(x, 0) - x*z + log(1 + exp(-|x|))`; from probabilities it clips them first.
 */
export function binaryCrossentropyElementwise(
  target: tf.Tensor,
  output: tf.Tensor,
  fromLogits: boolean,
): tf.Tensor {
  return tf.tidy(() => {
    if (fromLogits) {
      return tf.add(
        tf.sub(tf.relu(output), tf.mul(output, target)),
        tf.log1p(tf.exp(tf.neg(tf.abs(output)))),
      );
    }
    const p = clipProbabilities(output);
    return tf.neg(tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p)))));
  });
}

function smoothBinaryLabels(yTrue: tf.Tensor, labelSmoothing: number): tf.Tensor {
  return labelSmoothing ? tf.add(tf.mul(yTrue, 1 - labelSmoothing), 0.5 * labelSmoothing) : yTrue;
}

function smoothCategoricalLabels(yTrue: tf.Tensor, labelSmoothing: number): tf.Tensor {
  if (!labelSmoothing) return yTrue;
  const numClasses = yTrue.shape[yTrue.rank - 1];
  return tf.add(tf.mul(yTrue, 1 - labelSmoothing), labelSmoothing / numClasses);
}

function checkLabelSmoothing(what: string, labelSmoothing: number): void {
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new ValueError(
      `In ${what}, \`label_smoothing\` must be in [0, 1]. Received: label_smoothing=${labelSmoothing}`,
    );
  }
}

/** Binary crossentropy, averaged over `axis` (default the last). */
export function binaryCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: CrossentropyOptions = {},
): tf.Tensor {
  const { fromLogits = false, labelSmoothing = 0, axis = -1 } = options;
  checkLabelSmoothing('binary_crossentropy', labelSmoothing);
  assertSameShape('binary_crossentropy', yTrue, yPred);
  return tf.tidy(() => {
    const yp = toFloat(yPred);
    const yt = smoothBinaryLabels(toFloat(yTrue), labelSmoothing);
    const ax = normalizeAxis('binary_crossentropy', axis, yp.rank);
    return tf.mean(binaryCrossentropyElementwise(yt, yp, fromLogits), ax);
  });
}

/**
 * Categorical crossentropy over one-hot targets, summed over `axis`. Probabilities are renormalized to sum to
 * one along `axis` and clipped, as Keras does.
 */
export function categoricalCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: CrossentropyOptions = {},
): tf.Tensor {
  const { fromLogits = false, labelSmoothing = 0, axis = -1 } = options;
  checkLabelSmoothing('categorical_crossentropy', labelSmoothing);
  assertSameShape('categorical_crossentropy', yTrue, yPred);
  return tf.tidy(() => {
    const yp = toFloat(yPred);
    const yt = smoothCategoricalLabels(toFloat(yTrue), labelSmoothing);
    const ax = normalizeAxis('categorical_crossentropy', axis, yp.rank);
    const logProb = fromLogits
      ? logSoftmax(yp, ax)
      : tf.log(clipProbabilities(tf.div(yp, tf.sum(yp, ax, true))));
    return tf.neg(tf.sum(tf.mul(yt, logProb), ax));
  });
}

/**
 * Sparse categorical crossentropy with the mask of valid entries (false where `yTrue` is `ignoreClass`).
 * Ignored entries contribute 0; class ids outside `[0, numClasses)` give NaN on the device, and fail with a
 * clear error where reading the labels is cheap (see sparse-labels.ts).
 */
export function sparseCategoricalCrossentropyWithMask(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: SparseCrossentropyOptions = {},
): { values: tf.Tensor; mask: tf.Tensor | null } {
  const what = 'sparse_categorical_crossentropy';
  const { fromLogits = false, ignoreClass = null, axis = -1 } = options;
  if (axis !== -1 && axis !== yPred.rank - 1) {
    throw new ValueError(
      `In ${what}, only the last axis is supported as the class axis. Received: axis=${axis}`,
    );
  }
  let yt = yTrue;
  if (yt.rank === yPred.rank && yt.shape[yt.rank - 1] === 1) yt = tf.squeeze(yt, [-1]);
  try {
    assertSparseShapes(what, yt, yPred);
    if (labelRangeIsChecked()) validateSparseLabels(what, yt, yPred, ignoreClass);
  } catch (e) {
    if (yt !== yTrue) yt.dispose();
    throw e;
  }
  const numClasses = yPred.shape[yPred.rank - 1];
  const mask = ignoreClass === null ? null : tf.tidy(() => tf.notEqual(toFloat(yt), ignoreClass));
  const values = tf.tidy(() => {
    let labels = tf.cast(yt, 'int32');
    // Ignored entries get class 0 so the computation stays finite; their value is replaced by 0 below.
    if (mask) labels = tf.mul(labels, tf.cast(mask, 'int32'));
    const inRange = tf.logicalAnd(tf.greaterEqual(labels, 0), tf.less(labels, numClasses));
    const oneHot = tf.reshape(tf.oneHot(tf.reshape(labels, [-1]), numClasses), yPred.shape);
    const yp = toFloat(yPred);
    const logProb = fromLogits
      ? logSoftmax(yp, -1)
      : tf.log(clipProbabilities(tf.div(yp, tf.sum(yp, -1, true))));
    let res = tf.neg(tf.sum(tf.mul(tf.cast(oneHot, 'float32'), logProb), -1));
    res = tf.where(inRange, res, tf.fill(res.shape, Number.NaN));
    if (mask) res = tf.where(mask, res, tf.zerosLike(res));
    return res;
  });
  if (yt !== yTrue) yt.dispose();
  return { values, mask };
}

/** Sparse categorical crossentropy over integer class ids (Keras's `sparse_categorical_crossentropy`). */
export function sparseCategoricalCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: SparseCrossentropyOptions = {},
): tf.Tensor {
  const { values, mask } = sparseCategoricalCrossentropyWithMask(yTrue, yPred, options);
  mask?.dispose();
  return values;
}

/**
 * Binary focal crossentropy (Lin et al., 2018): binary crossentropy scaled by `(1 - p_t)^gamma`, and by
 * `alpha`/`1 - alpha` per class when `applyClassBalancing` is set. Averaged over `axis`.
 */
export function binaryFocalCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: BinaryFocalOptions = {},
): tf.Tensor {
  const what = 'binary_focal_crossentropy';
  const {
    applyClassBalancing = false,
    alpha = 0.25,
    gamma = 2,
    fromLogits = false,
    labelSmoothing = 0,
    axis = -1,
  } = options;
  checkLabelSmoothing(what, labelSmoothing);
  assertSameShape(what, yTrue, yPred);
  return tf.tidy(() => {
    let yp = toFloat(yPred);
    const yt = smoothBinaryLabels(toFloat(yTrue), labelSmoothing);
    const ax = normalizeAxis(what, axis, yp.rank);
    if (fromLogits) yp = tf.sigmoid(yp);
    const bce = binaryCrossentropyElementwise(yt, yp, false);
    const pT = tf.add(tf.mul(yt, yp), tf.mul(tf.sub(1, yt), tf.sub(1, yp)));
    let focal = tf.mul(tf.pow(tf.sub(1, pT), gamma), bce);
    if (applyClassBalancing) {
      const weight = tf.add(tf.mul(yt, alpha), tf.mul(tf.sub(1, yt), 1 - alpha));
      focal = tf.mul(weight, focal);
    }
    return tf.mean(focal, ax);
  });
}

/**
 * Categorical focal crossentropy: `-alpha * (1 - p)^gamma * y * log(p)` summed over `axis`, with `p` the
 * renormalized and clipped probabilities.
 */
export function categoricalFocalCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: CategoricalFocalOptions = {},
): tf.Tensor {
  const what = 'categorical_focal_crossentropy';
  const { alpha = 0.25, gamma = 2, fromLogits = false, labelSmoothing = 0, axis = -1 } = options;
  checkLabelSmoothing(what, labelSmoothing);
  assertSameShape(what, yTrue, yPred);
  return tf.tidy(() => {
    let yp = toFloat(yPred);
    const yt = smoothCategoricalLabels(toFloat(yTrue), labelSmoothing);
    const ax = normalizeAxis(what, axis, yp.rank);
    if (fromLogits) yp = tf.exp(logSoftmax(yp, ax));
    const output = clipProbabilities(tf.div(yp, tf.sum(yp, ax, true)));
    const cce = tf.neg(tf.mul(yt, tf.log(output)));
    const alphaT = Array.isArray(alpha) ? tf.tensor1d(alpha) : alpha;
    const weighting = tf.mul(tf.pow(tf.sub(1, output), gamma), alphaT);
    return tf.sum(tf.mul(weighting, cce), ax);
  });
}
