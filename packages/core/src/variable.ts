import * as tf from '@tensorflow/tfjs-core';

import { formatShape, ValueError } from './errors.js';

/** A weight's constraint, applied after each optimizer update (Keras's `Constraint`). */
export interface Constraint {
  apply(w: tf.Tensor): tf.Tensor;
  getConfig(): Record<string, unknown>;
}

/** A weight's regularizer: a scalar penalty added to the training loss. */
export interface Regularizer {
  apply(w: tf.Tensor): tf.Scalar;
  getConfig(): Record<string, unknown>;
}

/** Creates a weight's initial value. */
export interface Initializer {
  apply(shape: number[], dtype?: tf.DataType): tf.Tensor;
  getConfig(): Record<string, unknown>;
}

let variableCounter = 0;

/** A weight a layer is about to create, as `Layer.addWeight` describes it to a weights load in progress. */
export interface PlannedWeight {
  /** `layer_name/weight_name`. */
  path: string;
  shape: number[];
  dtype: tf.DataType;
}

/**
 * Set while a model is rebuilt from a file whose weights will replace every initial value: `addWeight`
 * shows each weight to `check` before allocating it (so a config that declares more than the file can
 * hold fails before any memory is taken) and fills it with zeros instead of running its initializer (an
 * orthogonal or random draw for a value the file overwrites is wasted work).
 */
export interface WeightsFromFile {
  check(weight: PlannedWeight): void;
  /** Told of each variable made, so that a load that fails half-way can dispose what it built. */
  created(variable: Variable): void;
}

let weightsFromFile: WeightsFromFile | null = null;

/**
 * Runs `build` (synchronous: it must not await) while weights are created for a load from a file; see
 * WeightsFromFile. Nests, and restores the previous state even when `build` throws.
 */
export function buildingFromFile<T>(scope: WeightsFromFile, build: () => T): T {
  const previous = weightsFromFile;
  weightsFromFile = scope;
  try {
    return build();
  } finally {
    weightsFromFile = previous;
  }
}

/** The load in progress, if `addWeight` runs inside `buildingFromFile`. */
export function activeWeightsFromFile(): WeightsFromFile | null {
  return weightsFromFile;
}

/**
 * A Keras variable: a `tf.Variable` plus what Keras keeps beside it (name, path, trainable flag,
 * constraint, regularizer). `path` is `layer_name/weight_name`, as in Keras 3.
 *
 * Keras: `keras.Variable`
 *
 * @example
 * ```ts
 * const layer = new Dense({ units: 2 });
 * layer.apply(tf.ones([1, 3]));
 * const kernel: Variable = layer.trainableWeights[0]!;
 * kernel.shape; // [3, 2]
 * ```
 */
export class Variable {
  readonly name: string;
  readonly path: string;
  readonly shape: number[];
  readonly dtype: tf.DataType;
  constraint: Constraint | null;
  regularizer: Regularizer | null;
  /** The backing tfjs variable. Read it inside tf.tidy; write it through `assign`. */
  readonly value: tf.Variable;
  private _trainable: boolean;

  constructor(options: {
    initialValue: tf.Tensor;
    name: string;
    path?: string;
    trainable?: boolean;
    constraint?: Constraint | null;
    regularizer?: Regularizer | null;
  }) {
    this.name = options.name;
    this.path = options.path ?? options.name;
    this.shape = options.initialValue.shape.slice();
    this.dtype = options.initialValue.dtype;
    this._trainable = options.trainable ?? true;
    this.constraint = options.constraint ?? null;
    this.regularizer = options.regularizer ?? null;
    // tfjs needs engine-unique variable names; the Keras path stays in `path`.
    this.value = tf.variable(options.initialValue, this._trainable, `${this.path}__${variableCounter++}`);
  }

  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(value: boolean) {
    this._trainable = value;
    this.value.trainable = value;
  }

  /** Overwrites the value in place; the shape must match. */
  assign(value: tf.Tensor): void {
    if (!tf.util.arraysEqual(value.shape, this.shape)) {
      throw new ValueError(
        `Variable '${this.path}' has shape ${formatShape(this.shape)}, ` +
          `but the value assigned has shape ${formatShape(value.shape)}.`,
      );
    }
    this.value.assign(value.dtype === this.dtype ? value : tf.cast(value, this.dtype));
  }

  /** A copy of the current value (the caller owns it). */
  read(): tf.Tensor {
    return this.value.clone();
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  dispose(): void {
    this.value.dispose();
  }
}
