import { formatShape, type LayerArgs, register, type Shape, ValueError } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { Merge } from './base-merge.js';

/** Constructor arguments of `Dot`: Keras's arguments of the same names, in camelCase. */
export interface DotArgs extends LayerArgs {
  /** The axis (same for both inputs) or the pair of axes to contract; the batch axis cannot be one. */
  axes: number | [number, number];
  /** L2-normalize both inputs along the contracted axes first, giving cosine similarity. Default false. */
  normalize?: boolean;
}

/**
 * The dot product of two batched inputs along the given axes (Keras's `batch_dot`): for `[b, n]` and
 * `[b, n]` with axes 1 the output is `[b, 1]`.
 *
 * Keras: `keras.layers.Dot`
 *
 * @example
 * ```ts
 * const layer = new Dot({ axes: 1 });
 * layer.apply([tf.ones([2, 3]), tf.ones([2, 3])]); // shape [2, 1]
 * ```
 */
export class Dot extends Merge {
  static override className = 'Dot';
  readonly axes: number | [number, number];
  readonly normalize: boolean;

  constructor(args: DotArgs) {
    super(args);
    const axes = args?.axes;
    const valid =
      Number.isInteger(axes) ||
      (Array.isArray(axes) && axes.length === 2 && axes.every((a) => Number.isInteger(a)));
    if (!valid) {
      throw new ValueError(
        `Invalid format for argument \`axes\`: expected an integer or a list of 2 integers. Received: axes=${JSON.stringify(axes)}`,
      );
    }
    this.axes = Array.isArray(axes) ? [axes[0], axes[1]] : axes;
    this.normalize = args.normalize ?? false;
  }

  private resolveAxes(rank1: number, rank2: number): [number, number] {
    const [a, b] = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    return [a < 0 ? a + rank1 : a, b < 0 ? b + rank2 : b];
  }

  protected override validateInputShapes(shapes: Shape[]): void {
    if (shapes.length !== 2) {
      throw new ValueError(
        `A \`Dot\` layer should be called on a list of 2 inputs. Received: input_shape=[${shapes.map(formatShape).join(', ')}]`,
      );
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = this.asShapeList(inputShape);
    this.validateInputShapes(shapes);
    const [s1, s2] = shapes;
    const [a1, a2] = this.resolveAxes(s1.length, s2.length);
    if (a1 <= 0 || a2 <= 0 || a1 >= s1.length || a2 >= s2.length) {
      throw new ValueError(
        `Layer "${this.name}": axes ${JSON.stringify(this.axes)} are out of range (or the batch axis) for input shapes ${formatShape(s1)}, ${formatShape(s2)}.`,
      );
    }
    if (s1[a1] != null && s2[a2] != null && s1[a1] !== s2[a2]) {
      throw new ValueError(
        `Incompatible input shapes: axis values ${s1[a1]} (at axis ${a1}) != ${s2[a2]} (at axis ${a2}). ` +
          `Full input shapes: ${formatShape(s1)}, ${formatShape(s2)}`,
      );
    }
    const out = [s1[0], ...s1.filter((_, i) => i > 0 && i !== a1), ...s2.filter((_, i) => i > 0 && i !== a2)];
    return out.length === 1 ? [out[0], 1] : out;
  }

  protected mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
    if (inputs.length !== 2)
      throw new ValueError(
        `A \`Dot\` layer should be called on exactly 2 inputs. Received: ${inputs.length} inputs`,
      );
    let [x, y] = inputs;
    const [a1, a2] = this.resolveAxes(x.rank, y.rank);
    if (this.normalize) {
      x = tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), a1, true), 1e-12)));
      y = tf.mul(y, tf.rsqrt(tf.maximum(tf.sum(tf.square(y), a2, true), 1e-12)));
    }
    const b = x.shape[0];
    const xFree = x.shape.filter((_, i) => i > 0 && i !== a1);
    const yFree = y.shape.filter((_, i) => i > 0 && i !== a2);
    const k = x.shape[a1];
    // Bring both to [b, m, k] and [b, k, n] and contract with one batched matmul.
    const xt = tf.transpose(x, [0, ...x.shape.map((_, i) => i).filter((i) => i > 0 && i !== a1), a1]);
    const yt = tf.transpose(y, [0, a2, ...y.shape.map((_, i) => i).filter((i) => i > 0 && i !== a2)]);
    const m = xFree.reduce((p, d) => p * d, 1);
    const n = yFree.reduce((p, d) => p * d, 1);
    const prod = tf.matMul(
      tf.reshape(xt, [b, m, k]) as tf.Tensor3D,
      tf.reshape(yt, [b, k, n]) as tf.Tensor3D,
    );
    const out = [b, ...xFree, ...yFree];
    return tf.reshape(prod, out.length === 1 ? [b, 1] : out);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axes: this.axes, normalize: this.normalize };
  }
}

register('layer', 'Dot', Dot);
