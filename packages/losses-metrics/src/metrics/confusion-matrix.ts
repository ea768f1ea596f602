/**
 * Confusion-matrix accumulation shared by the threshold metrics (TruePositives ... AUC), after Keras's
 * `metrics_utils.update_confusion_matrix_variables`. Everything runs on the device; counts for all
 * thresholds come from one comparison and one matrix product per count.
 */
import { formatShape, squeezeOrExpandToSameRank, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** Keras's stand-in for minus infinity in top-k filtering and thresholds (finite, so 0 * it stays 0). */
export const NEG_INF = -1e10;

export interface ConfusionVariables {
  truePositives?: Variable;
  falsePositives?: Variable;
  trueNegatives?: Variable;
  falseNegatives?: Variable;
}

export interface ConfusionUpdateOptions {
  /** Only the `topK` largest predictions per sample count as positive. */
  topK?: number | null;
  /** Only this class (last-axis index) is considered. */
  classId?: number | null;
  sampleWeight?: tf.Tensor | null;
  /** Keep a separate count per label (last axis) instead of pooling every entry. */
  multiLabel?: boolean;
  /** Per-label weights (pooled mode only). */
  labelWeights?: tf.Tensor | null;
}

/** Fails unless every threshold is in [0, 1], with Keras's message. */
export function assertThresholdsRange(thresholds: number[]): void {
  const invalid = thresholds.filter((t) => t == null || !(t >= 0 && t <= 1));
  if (invalid.length) {
    throw new ValueError(`Threshold values must be in [0, 1]. Received: ${JSON.stringify(invalid)}`);
  }
}

/** A threshold or list of them as a list, or `[defaultThreshold]` when none is given. */
export function parseInitThresholds(
  thresholds: number | number[] | null | undefined,
  defaultThreshold = 0.5,
): number[] {
  if (thresholds == null) return [defaultThreshold];
  const list = Array.isArray(thresholds) ? thresholds : [thresholds];
  assertThresholdsRange(list);
  return list;
}

/** Keeps the `k` largest entries along the last axis and sets the others to NEG_INF. */
export function filterTopK(x: tf.Tensor, k: number): tf.Tensor {
  return tf.tidy(() => {
    const numClasses = x.shape[x.rank - 1];
    const { indices } = tf.topk(x, k);
    const mask = tf.sum(tf.cast(tf.oneHot(indices, numClasses), 'float32'), -2);
    return tf.add(tf.mul(x, mask), tf.mul(tf.sub(1, mask), NEG_INF));
  });
}

function broadcastWeights(sw: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  try {
    return tf.broadcastTo(sw, yPred.shape);
  } catch {
    throw new ValueError(
      `\`sample_weight\` of shape ${formatShape(sw.shape)} cannot be broadcast to \`y_pred\` of shape ` +
        `${formatShape(yPred.shape)}.`,
    );
  }
}

function addTo(variable: Variable | undefined, delta: () => tf.Tensor): void {
  if (variable) variable.assign(tf.add(variable.value, delta()));
}

/**
 * Adds this batch's true/false positives/negatives at each threshold to the given variables. An entry is a
 * predicted positive when `yPred > threshold`, and a true positive when `yTrue` is nonzero. Must be called
 * inside `tf.tidy`.
 */
export function updateConfusionMatrixVariables(
  variables: ConfusionVariables,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  thresholds: number[] | tf.Tensor,
  options: ConfusionUpdateOptions = {},
): void {
  const { topK = null, classId = null, multiLabel = false, labelWeights = null } = options;
  let yt = tf.cast(yTrue, 'float32');
  let yp = tf.cast(yPred, 'float32');
  let sw = options.sampleWeight != null ? tf.cast(options.sampleWeight, 'float32') : null;
  [yp, yt] = squeezeOrExpandToSameRank(yp, yt);
  if (sw) [yt, sw] = squeezeOrExpandToSameRank(yt, sw);
  if (!tf.util.arraysEqual(yt.shape, yp.shape)) {
    throw new ValueError(
      `\`y_true\` and \`y_pred\` must have the same shape. ` +
        `Received: y_true.shape=${formatShape(yTrue.shape)}, y_pred.shape=${formatShape(yPred.shape)}`,
    );
  }
  if (topK != null) yp = filterTopK(yp, topK);
  if (classId != null) {
    const numClasses = yp.shape[yp.rank - 1];
    if (yp.rank < 2) {
      throw new ValueError(
        `When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes). ` +
          `Received: y_pred.shape=${formatShape(yPred.shape)}`,
      );
    }
    if (!(Number.isInteger(classId) && classId >= 0 && classId < numClasses)) {
      throw new ValueError(
        `class_id must be an integer in [0, ${numClasses}) for y_pred.shape=${formatShape(yPred.shape)}. ` +
          `Received: class_id=${classId}`,
      );
    }
    const begin = new Array(yp.rank).fill(0);
    begin[yp.rank - 1] = classId;
    const size = yp.shape.slice();
    size[yp.rank - 1] = 1;
    yt = tf.slice(yt, begin, size);
    yp = tf.slice(yp, begin, size);
  }
  if (sw && sw.rank > 0 && sw.rank < yp.rank && sw.shape[0] === yp.shape[0]) {
    // Per-sample weights against [batch, classes] predictions: align them on the batch axis.
    sw = tf.reshape(sw, [...sw.shape, ...new Array(yp.rank - sw.rank).fill(1)]);
  }
  let weights: tf.Tensor | null = sw ? broadcastWeights(sw, yp) : null;
  if (labelWeights != null && !multiLabel) {
    const lw = tf.broadcastTo(tf.cast(labelWeights, 'float32'), yp.shape);
    weights = weights ? tf.mul(weights, lw) : lw;
  }
  const thr = thresholds instanceof tf.Tensor ? thresholds : tf.tensor1d(thresholds, 'float32');
  const numThresholds = thr.shape[0];
  const labelIsPos = tf.cast(tf.notEqual(yt, 0), 'float32');
  const w = weights ?? tf.onesLike(yp);
  const posWeight = tf.mul(labelIsPos, w);
  const negWeight = tf.mul(tf.sub(1, labelIsPos), w);

  if (multiLabel) {
    // Counts per label: predictions [batch, labels] against thresholds [T, 1, 1] -> [T, batch, labels].
    const p2 = tf.reshape(yp, [yp.shape[0], -1]);
    const predIsPos = tf.cast(
      tf.greater(tf.expandDims(p2, 0), tf.reshape(thr, [numThresholds, 1, 1])),
      'float32',
    );
    const predIsNeg = tf.sub(1, predIsPos);
    const pw = tf.reshape(posWeight, p2.shape);
    const nw = tf.reshape(negWeight, p2.shape);
    addTo(variables.truePositives, () => tf.sum(tf.mul(predIsPos, pw), 1));
    addTo(variables.falsePositives, () => tf.sum(tf.mul(predIsPos, nw), 1));
    addTo(variables.trueNegatives, () => tf.sum(tf.mul(predIsNeg, nw), 1));
    addTo(variables.falseNegatives, () => tf.sum(tf.mul(predIsNeg, pw), 1));
    return;
  }
  // Pooled counts: every entry is one prediction; [T, M] indicators times [M, 1] weights.
  const flat = tf.reshape(yp, [1, -1]);
  const predIsPos = tf.cast(tf.greater(flat, tf.reshape(thr, [numThresholds, 1])), 'float32');
  const predIsNeg = tf.sub(1, predIsPos);
  const pw = tf.reshape(posWeight, [-1, 1]);
  const nw = tf.reshape(negWeight, [-1, 1]);
  addTo(variables.truePositives, () => tf.reshape(tf.matMul(predIsPos, pw), [numThresholds]));
  addTo(variables.falsePositives, () => tf.reshape(tf.matMul(predIsPos, nw), [numThresholds]));
  addTo(variables.trueNegatives, () => tf.reshape(tf.matMul(predIsNeg, nw), [numThresholds]));
  addTo(variables.falseNegatives, () => tf.reshape(tf.matMul(predIsNeg, pw), [numThresholds]));
}
