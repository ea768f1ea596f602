/**
 * Keras's guide "Writing a training loop from scratch", in Strata: the loss and its gradients with respect to
 * `model.trainableWeights` come from `valueAndGrads`, `optimizer.applyGradients` applies them, and a metric is
 * used by hand (`updateState`, `result`, `resetState`).
 */
import { type Loss, type Metric, type Model, type Optimizer, valueAndGrads } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

export interface LoopOptions {
  optimizer: Optimizer;
  loss: Loss;
  /** Updated on every batch and reset at the start of every epoch, like `fit`'s compiled metrics. */
  metric: Metric;
  epochs: number;
  batchSize: number;
  /** Called after each epoch with the epoch's mean loss and the metric's value over the epoch. */
  onEpochEnd?: (epoch: number, logs: { loss: number; metric: number }) => void;
}

/** One step: forward pass, loss, gradients, update, metric. Everything it creates is released, but the weights. */
export function trainStep(model: Model, x: tf.Tensor, y: tf.Tensor, options: LoopOptions): tf.Scalar {
  return tf.tidy(() => {
    const vars = model.trainableWeights;
    const {
      value,
      grads,
      aux: logits,
    } = valueAndGrads(() => {
      const out = model.apply(x, { training: true }) as tf.Tensor;
      return [options.loss.apply(y, out) as tf.Scalar, out] as const;
    }, vars);
    options.optimizer.applyGradients(grads.map((g, i) => [g, vars[i]]));
    options.metric.updateState(y, logits);
    return value;
  });
}

/**
 * Trains `model` on `x`/`y` in order (no shuffling), batch by batch. Returns each epoch's metric value, which
 * equals what `fit` reports for the same model, data and batch order.
 */
export function trainByHand(model: Model, x: tf.Tensor, y: tf.Tensor, options: LoopOptions): number[] {
  const n = x.shape[0];
  const perEpoch: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    options.metric.resetState();
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < n; start += options.batchSize) {
      const size = Math.min(options.batchSize, n - start);
      const xb = x.slice(start, size);
      const yb = y.slice(start, size);
      const loss = trainStep(model, xb, yb, options);
      // Reading the loss back each step costs a sync; the guide prints it, and so does this example.
      lossSum += loss.dataSync()[0];
      batches++;
      tf.dispose([xb, yb, loss]);
    }
    const result = options.metric.result();
    const value = result.dataSync()[0];
    result.dispose();
    perEpoch.push(value);
    options.onEpochEnd?.(epoch, { loss: lossSum / batches, metric: value });
  }
  return perEpoch;
}

/** The share of rows whose arg-max of `logits` equals the integer label in `labels`. */
export function accuracy(logits: tf.Tensor, labels: tf.Tensor): number {
  return tf.tidy(
    () =>
      tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32')).dataSync()[0],
  );
}
