import {
  type CallKwargs,
  formatShape,
  isShapeList,
  Layer,
  type LayerArgs,
  type Shape,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The shared part of the elementwise merge layers (Keras's `Merge`): a list of inputs whose shapes
 * broadcast together, combined pairwise by `mergeFunction`.
 *
 * Keras: `keras.src.layers.merging.base_merge.Merge`
 *
 * @example
 * ```ts
 * // The base of Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot.
 * const merge: Merge = new Add();
 * merge.apply([tf.ones([2, 3]), tf.ones([2, 3])]); // shape [2, 3]
 * ```
 */
export abstract class Merge extends Layer {
  constructor(args: LayerArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }

  /** Combines the (already validated) inputs into one tensor. */
  protected abstract mergeFunction(inputs: tf.Tensor[]): tf.Tensor;

  /** Checks the list of input shapes; subclasses add their own count rules. */
  protected validateInputShapes(shapes: Shape[]): void {
    if (shapes.length < 1) {
      throw new ValueError(
        `A merge layer should be called on a list of at least 1 input. Received: ${shapes.length} inputs.`,
      );
    }
  }

  protected asShapeList(inputShape: Shape | Shape[]): Shape[] {
    if (!isShapeList(inputShape)) {
      throw new ValueError(
        `A merge layer should be called on a list of inputs. Received: input_shape=${formatShape(inputShape as Shape)} (not a list of shapes)`,
      );
    }
    return inputShape;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = this.asShapeList(inputShape);
    this.validateInputShapes(shapes);
    this.computeOutputShape(shapes);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    if (!Array.isArray(inputs)) {
      throw new ValueError(
        `Layer "${this.name}" should be called on a list of inputs. Received: a single tensor of shape ${formatShape(inputs.shape)}`,
      );
    }
    return tf.tidy(() => this.mergeFunction(inputs));
  }

  /** Broadcasts the shapes from the right, as the elementwise ops do. */
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = this.asShapeList(inputShape);
    let out: Shape = shapes[0].slice();
    for (const shape of shapes.slice(1)) {
      const rank = Math.max(out.length, shape.length);
      const next: Shape = [];
      for (let i = 0; i < rank; i++) {
        const a = out[out.length - rank + i];
        const b = shape[shape.length - rank + i];
        if (a === undefined) next.push(b);
        else if (b === undefined) next.push(a);
        else if (a === 1) next.push(b);
        else if (b === 1) next.push(a);
        else if (a == null || b == null) next.push(a ?? b);
        else if (a === b) next.push(a);
        else
          throw new ValueError(
            `Inputs have incompatible shapes. Received shapes ${formatShape(out)} and ${formatShape(shape)}`,
          );
      }
      out = next;
    }
    if (shapes.some((s) => s[0] == null)) out[0] = null;
    return out;
  }

  /** The inputs' masks combined with AND (a position is kept only if every masked input keeps it). */
  override computeMask(
    _inputs: tf.Tensor | tf.Tensor[],
    mask?: tf.Tensor | null | (tf.Tensor | null)[],
  ): tf.Tensor | null {
    const masks = (Array.isArray(mask) ? mask : [mask]).filter((m): m is tf.Tensor => m != null);
    if (masks.length === 0) return null;
    return tf.tidy(() => masks.slice(1).reduce((acc, m) => tf.logicalAnd(acc, m), tf.cast(masks[0], 'bool')));
  }
}
