import { formatShape, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/** Constructor arguments of `Concatenate`: Keras's arguments of the same names, in camelCase. */
export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join along. Default -1. */
  axis?: number;
}

/**
 * Joins a list of inputs along `axis`; every other axis must match.
 *
 * Keras: `keras.layers.Concatenate`
 *
 * @example
 * ```ts
 * const layer = new Concatenate({ axis: -1 });
 * layer.apply([tf.ones([2, 3]), tf.ones([2, 4])]); // shape [2, 7]
 * ```
 */
export class Concatenate extends Merge {
  static override className = 'Concatenate';
  readonly axis: number;

  constructor(args: ConcatenateArgs = {}) {
    super(args);
    const axis = args.axis ?? -1;
    if (!Number.isInteger(axis))
      throw new ValueError(`Expected an integer value for \`axis\`. Received: axis=${axis}`);
    this.axis = axis;
  }

  private mismatch(shapes: Shape[]): ValueError {
    return new ValueError(
      'A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. ' +
        `Received: input_shape=[${shapes.map(formatShape).join(', ')}]`,
    );
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = this.asShapeList(inputShape);
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) throw this.mismatch(shapes);
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (axis < 0 || axis >= rank) {
      throw new ValueError(
        `Layer "${this.name}": axis ${this.axis} is out of range for inputs of rank ${rank}.`,
      );
    }
    const out = shapes[0].slice();
    for (const shape of shapes.slice(1)) {
      for (let i = 0; i < rank; i++) {
        if (i === axis) {
          const a = out[i];
          const b = shape[i];
          out[i] = a == null || b == null ? null : a + b;
        } else if (out[i] != null && shape[i] != null && out[i] !== shape[i]) {
          throw this.mismatch(shapes);
        } else {
          out[i] = out[i] ?? shape[i];
        }
      }
    }
    return out;
  }

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    return tf.concat(inputs, this.axis < 0 ? inputs[0].rank + this.axis : this.axis);
  }

  /** Concatenated masks (an unmasked input counts as all kept), reduced over features as Keras does. */
  override computeMask(
    inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | null | (tf.Tensor | null)[],
  ): tf.Tensor | null {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const masks = Array.isArray(mask) ? mask : [mask];
    if (masks.every((m) => m == null)) return null;
    return tf.tidy(() => {
      const full = list.map((x, i) => {
        const m = masks[i];
        if (m == null) return tf.cast(tf.onesLike(x), 'bool');
        return m.rank < x.rank ? tf.broadcastTo(tf.expandDims(m, -1), x.shape) : tf.cast(m, 'bool');
      });
      const axis = this.axis < 0 ? list[0].rank + this.axis : this.axis;
      return tf.all(tf.concat(full, axis), -1);
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

register('layer', 'Concatenate', Concatenate);
