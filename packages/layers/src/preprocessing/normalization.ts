import {
  type CallKwargs,
  formatShape,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { getInitializer } from '../initializers/index.js';

type NestedNumbers = number | NestedNumbers[];

/** Constructor arguments of `Normalization`: Keras's arguments of the same names, in camelCase. */
export interface NormalizationArgs extends LayerArgs {
  /** Axis or axes that keep their own mean and variance; null means one mean for everything. Default -1. */
  axis?: number | number[] | null;
  /** Fixed mean (instead of `adapt`); needs `variance` too. */
  mean?: NestedNumbers | null;
  /** Fixed variance (instead of `adapt`). */
  variance?: NestedNumbers | null;
  /** Undo the normalization instead: `mean + x * sqrt(variance)`. Default false. */
  invert?: boolean;
}

const EPSILON = 1e-7;

function shapeOf(x: NestedNumbers): number[] {
  return Array.isArray(x) ? [x.length, ...(x.length ? shapeOf(x[0]) : [])] : [];
}

/**
 * Shifts and scales inputs to mean 0 and variance 1 per position of `axis`:
 * `(x - mean) / max(sqrt(variance), 1e-7)`. The statistics are given (`mean`, `variance`) or computed by
 * `adapt(data)`; adapted statistics are the non-trainable weights `mean`, `variance` and `count`, as in
 * Keras 3 (count is kept for file compatibility and stays 0).
 *
 * Keras: `keras.layers.Normalization`
 *
 * @example
 * ```ts
 * const norm = new Normalization();
 * norm.adapt(tf.tensor2d([[0, 7], [2, 9]]));  // mean [1, 8], variance [1, 1]
 * ```
 */
export class Normalization extends Layer {
  static override className = 'Normalization';
  readonly axis: number[];
  readonly inputMean: NestedNumbers | null;
  readonly inputVariance: NestedNumbers | null;
  readonly invert: boolean;
  adaptMean: Variable | null = null;
  adaptVariance: Variable | null = null;
  count: Variable | null = null;
  private keepAxes: number[] = [];
  private broadcastShape: number[] = [];

  constructor(args: NormalizationArgs = {}) {
    super(args);
    const axis = args.axis === undefined ? -1 : args.axis;
    this.axis = axis == null ? [] : typeof axis === 'number' ? [axis] : axis.slice();
    if (this.axis.some((a) => !Number.isInteger(a))) {
      throw new ValueError(
        `\`axis\` must be an integer, a list of integers or null. Received: axis=${JSON.stringify(axis)}`,
      );
    }
    this.inputMean = args.mean ?? null;
    this.inputVariance = args.variance ?? null;
    this.invert = args.invert ?? false;
    if ((this.inputMean != null) !== (this.inputVariance != null)) {
      throw new ValueError(
        `When setting values directly, both \`mean\` and \`variance\` must be set. Received: mean=${JSON.stringify(this.inputMean)} and variance=${JSON.stringify(this.inputVariance)}`,
      );
    }
    if (this.inputMean != null) {
      const ms = shapeOf(this.inputMean);
      const vs = shapeOf(this.inputVariance!);
      if (JSON.stringify(ms) !== JSON.stringify(vs)) {
        throw new ValueError(
          `When setting values directly, \`mean\` and \`variance\` must have the same shape. Received: mean shape ${formatShape(ms)} and variance shape ${formatShape(vs)}`,
        );
      }
      if (ms.length > this.axis.length) {
        throw new ValueError(
          `The rank of \`mean\` must be less than or equal to the number of axes (${this.axis.length}). Received: mean shape ${formatShape(ms)} for axis ${JSON.stringify(this.axis)}`,
        );
      }
    }
    this.supportsMasking = true;
  }

  override build(inputShape: Shape): void {
    const ndim = inputShape.length;
    if (this.axis.some((a) => a < -ndim || a >= ndim)) {
      throw new ValueError(
        `All \`axis\` values must be in the range [-ndim, ndim). Received inputs with ndim=${ndim}, while axis=${JSON.stringify(this.axis)}`,
      );
    }
    this.keepAxes = [...new Set(this.axis.map((a) => (a < 0 ? a + ndim : a)))].sort((a, b) => a - b);
    for (const d of this.keepAxes) {
      if (inputShape[d] == null) {
        throw new ValueError(
          `All \`axis\` values to be kept must have a known shape. Received axis=${JSON.stringify(this.axis)}, inputs.shape=${formatShape(inputShape)}, with unknown axis at index ${d}`,
        );
      }
    }
    this.broadcastShape = inputShape.map((d, i) => (this.keepAxes.includes(i) ? (d as number) : 1));
    const statShape = this.keepAxes.map((d) => inputShape[d] as number);
    if (this.inputMean == null) {
      this.adaptMean = this.addWeight('mean', {
        shape: statShape,
        initializer: getInitializer('zeros'),
        trainable: false,
      });
      this.adaptVariance = this.addWeight('variance', {
        shape: statShape,
        initializer: getInitializer('ones'),
        trainable: false,
      });
      this.count = this.addWeight('count', {
        shape: [],
        initializer: getInitializer('zeros'),
        trainable: false,
        dtype: 'int32',
      });
    }
    super.build(inputShape);
  }

  /** The mean and variance shaped to broadcast against the input. */
  private statistics(): [tf.Tensor, tf.Tensor] {
    if (this.adaptMean && this.adaptVariance) {
      return [
        tf.reshape(this.adaptMean.value, this.broadcastShape),
        tf.reshape(this.adaptVariance.value, this.broadcastShape),
      ];
    }
    const place = (v: NestedNumbers) => {
      const t = tf.tensor(v as number[]);
      // Given statistics align with the kept axes from the right, as Keras broadcasts them.
      const expanded = this.broadcastShape.map(() => 1);
      const kept = this.keepAxes.slice(this.keepAxes.length - t.rank);
      kept.forEach((axis, i) => {
        expanded[axis] = t.shape[i];
      });
      return tf.broadcastTo(tf.reshape(t, expanded), this.broadcastShape);
    };
    return [place(this.inputMean!), place(this.inputVariance!)];
  }

  /**
   * Computes the mean and variance of `data` (a tensor, nested number arrays, or a list of batches)
   * over every axis but `axis`, and stores them.
   */
  adapt(data: tf.Tensor | NestedNumbers[] | tf.Tensor[]): void {
    const batches: tf.Tensor[] =
      Array.isArray(data) && data.length > 0 && data[0] instanceof tf.Tensor
        ? (data as tf.Tensor[])
        : [data instanceof tf.Tensor ? data : tf.tensor(data as number[])];
    const owned = batches[0] !== data && !(Array.isArray(data) && data[0] instanceof tf.Tensor);
    try {
      const shape = batches[0].shape;
      if (!this.built) this.maybeBuild(shape);
      else {
        for (const d of this.keepAxes) {
          if (shape[d] !== (this.buildInputShape as Shape)[d]) {
            throw new ValueError(
              `The layer was built with input_shape=${formatShape(this.buildInputShape as Shape)}, but adapt() is being called with data with an incompatible shape, data.shape=${formatShape(shape)}`,
            );
          }
        }
      }
      if (!this.adaptMean) {
        throw new ValueError(
          `Layer "${this.name}" was given \`mean\` and \`variance\`; it cannot be adapted.`,
        );
      }
      tf.tidy(() => {
        const all = batches.length === 1 ? batches[0] : tf.concat(batches, 0);
        const x = all.dtype === 'float32' ? all : tf.cast(all, 'float32');
        const reduce = x.shape.map((_, i) => i).filter((i) => !this.keepAxes.includes(i));
        const { mean, variance } = tf.moments(x, reduce);
        this.adaptMean!.assign(mean);
        this.adaptVariance!.assign(variance);
      });
    } finally {
      if (owned) batches[0].dispose();
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      const [mean, variance] = this.statistics();
      const std = tf.maximum(tf.sqrt(variance), EPSILON);
      return this.invert ? tf.add(mean, tf.mul(xf, std)) : tf.div(tf.sub(xf, mean), std);
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      invert: this.invert,
      mean: this.inputMean,
      variance: this.inputVariance,
    };
  }
}

register('layer', 'Normalization', Normalization);
