/**
 * The contract between the trainer and a backend that compiles whole steps (Keras's `jit_compile`): a
 * backend plug-in's description (registry kind 'backend') may offer `compileTrainStep` and
 * `compilePredict`. The trainer asks once per batch signature, keeps the answer (a compiled step, or the
 * reason why there is none) until the next `compile()`, and runs the compiled step per batch instead of the
 * ops of `trainStep` / `predictStep`. Core never names a backend: it reads the active backend's entry.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { Loss } from './loss.js';
import type { Optimizer } from './optimizer.js';
import { registry } from './registry.js';
import type { Trainer } from './trainers/trainer.js';
import type { Variable } from './variable.js';

/** The shape (batch included) and dtype of one input or target of a batch. */
export interface TensorSignature {
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
}

/**
 * What a step compiler is asked to compile: the built-in training step of `model` (forward pass, compiled
 * loss, gradients, optimizer update) for batches of one signature.
 */
export interface TrainStepRequest {
  /** The model (a Sequential, functional or subclassed `Model`); its `trainStep` is Strata's own. */
  readonly model: Trainer;
  /** The compiled optimizer. */
  readonly optimizer: Optimizer;
  /** The trainable variables the step updates, in `model.trainableWeights` order. */
  readonly variables: readonly Variable[];
  /** The compiled loss of each output (`null`: the output has none), in output order. */
  readonly losses: readonly (Loss | null)[];
  /** The compiled loss weight of each output. */
  readonly lossWeights: readonly number[];
  /** The batch's inputs, in the model's input order. */
  readonly inputs: readonly TensorSignature[];
  /** The batch's targets, in output order. */
  readonly targets: readonly TensorSignature[];
  /** Whether the batches carry sample weights (`sampleWeight` or `classWeight`). */
  readonly sampleWeighted: boolean;
}

/** What one compiled training step returns: new tensors, which the caller disposes. */
export interface CompiledStepResult {
  /** The batch's loss, as the uncompiled step's `computeLoss` gives it. */
  loss: tf.Scalar;
  /** The model's outputs on the batch (training mode), one per output. */
  outputs: tf.Tensor[];
}

/** A compiled training step for one batch signature. */
export interface CompiledTrainStep {
  /** The shapes of the outputs `run` returns, batch included: compiled metrics resolve against them before the first run. */
  readonly outputShapes: readonly (readonly number[])[];
  /**
   * Runs one step on a batch (`xs` in input order, `ys` in output order, shaped as the request said):
   * afterwards the model's variables and the optimizer's state (its slots and `iterations`) hold the updated
   * values, exactly as after the uncompiled step. Synchronous. When it throws, nothing was assigned and no
   * tensor was left behind. Null: this batch's values are outside what the compiled step handles (class ids
   * out of range, say); nothing changed, and the trainer runs the uncompiled step on it (which reports its
   * own error).
   */
  run(xs: readonly tf.Tensor[], ys: readonly tf.Tensor[]): CompiledStepResult | null;
  /** Releases what the step holds (sessions, buffers); the trainer calls it when it drops the step. */
  dispose(): void;
}

/** What a step compiler is asked to compile for `predict`: the model's forward pass in inference mode. */
export interface PredictRequest {
  /** The model; its `predictStep` is Strata's own. */
  readonly model: Trainer;
  /** The batch's inputs, in the model's input order. */
  readonly inputs: readonly TensorSignature[];
}

/** A compiled forward pass for one input signature. */
export interface CompiledPredict {
  /** The model's outputs on a batch (one new tensor per output, in output order). Synchronous; no leak when it throws. */
  run(xs: readonly tf.Tensor[]): tf.Tensor[];
  /** Releases what the compiled pass holds; the trainer calls it when it drops the pass. */
  dispose(): void;
}

/**
 * What a backend plug-in's registry entry (kind 'backend', e.g. from @strata/backends) may say about itself.
 * `@strata/backends`'s `StrataBackend` extends it.
 */
export interface BackendDescription {
  /**
   * Whether the backend keeps tensor values in host memory (the JS heap or wasm's), so reading them costs no
   * device copy. Training then copies each batch's rows on the host instead of running a gather kernel.
   * Default false (values are on a device, as with WebGL).
   */
  hostMemory?: boolean;
  /**
   * Compiles the built-in training step of a model for one batch signature, or returns why it cannot (the
   * trainer then runs the uncompiled step under `jitCompile: 'auto'`, and throws that reason under
   * `jitCompile: true`). Called once per signature until the model is compiled again.
   */
  compileTrainStep?(request: TrainStepRequest): CompiledTrainStep | string;
  /** Compiles a model's forward pass for `predict`, or returns why it cannot; as `compileTrainStep`. */
  compilePredict?(request: PredictRequest): CompiledPredict | string;
}

/** The active tfjs backend's plug-in description, if a plug-in registered one. */
export function activeBackendDescription(): BackendDescription | undefined {
  return registry.find<BackendDescription>('backend', tf.getBackend())?.value;
}
