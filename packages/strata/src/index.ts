/**
 * strata: every Strata package behind one import, as @tensorflow/tfjs is for TensorFlow.js. Importing it
 * registers all layers, activations, initializers, optimizers, schedules, losses, metrics, callbacks, the
 * save/load functions and tfjs's CPU backend; core's API is at the top level and each package's API under
 * a namespace named after it (`layers.Dense`, `optimizers.Adam`, `losses.MeanSquaredError`, ...). Losses
 * and metrics are also at the top level: `MeanSquaredError` is the loss, `MeanSquaredErrorMetric` the metric
 * (a metric gets `Metric` appended only where a loss has its name: `AUC`, `Huber`).
 *
 * For a smaller bundle, import the packages you use instead (see the README's "Bundle size").
 */

// Registers tfjs's CPU backend so the umbrella trains out of the box in Node and in browsers;
// `backends.setBackend('webgl' | 'wasm')` loads the others on demand when their tfjs package is installed.
import '@strata/backends/cpu';

export * as backends from '@strata/backends';
export * as callbacks from '@strata/callbacks';
export * from '@strata/core';
export * as datasets from '@strata/datasets';
export * as io from '@strata/io';
export * as layers from '@strata/layers';
// `losses.X` and `metrics.X` as in Keras, and every class at the top level: a loss by its name, a metric by
// its name or, where a loss has that name, with `Metric` appended (`MeanSquaredErrorMetric`).
export * from '@strata/losses-metrics';
export * as optimizers from '@strata/optimizers';
