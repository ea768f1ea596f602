import {
  type CallKwargs,
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  serializeKerasObject,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

/** Constructor arguments of `TimeDistributed`: Keras's arguments of the same names, in camelCase. */
export interface TimeDistributedArgs extends LayerArgs {
  /** The layer to apply to every timestep. */
  layer: Layer | KerasObjectJSON;
}

/**
 * Applies a layer to every temporal slice of an input `[batch, time, ...]`: the batch and time axes are
 * merged, the layer runs once on `[batch*time, ...]`, and the result is split back, so the weights are
 * shared across timesteps. An input mask `[batch, time, ...]` reaches the layer merged the same way
 * (each timestep's mask, as Keras passes it), and is the output's mask.
 *
 * Keras: `keras.layers.TimeDistributed`
 *
 * @example
 * ```ts
 * const td = new TimeDistributed({ layer: new Dense({ units: 8 }) });
 * td.apply(tf.ones([32, 10, 16])); // shape [32, 10, 8]
 * ```
 */
export class TimeDistributed extends Layer {
  static override className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    const layer = isKerasObjectJSON(args?.layer)
      ? deserializeKerasObject<Layer>('layer', args.layer)
      : args?.layer;
    if (!(layer instanceof Layer)) {
      throw new ValueError(
        `Please initialize \`TimeDistributed\` layer with a \`keras.layers.Layer\` instance. Received: ${String(args?.layer)}`,
      );
    }
    super(args);
    this.layer = layer;
    this.supportsMasking = true;
    this.inputSpec = { minNdim: 3 };
  }

  override get subLayers(): Layer[] {
    return [this.layer];
  }

  override kerasSaveChildren(): Record<string, Layer> {
    return { layer: this.layer };
  }

  private innerShape(shape: Shape): Shape {
    if (shape.length < 3) {
      throw new ValueError(
        `\`TimeDistributed\` Layer should be passed an \`input_shape\` with at least 3 dimensions. Received: ${JSON.stringify(shape)}`,
      );
    }
    return [shape[0], ...shape.slice(2)];
  }

  override build(inputShape: Shape | Shape[]): void {
    this.layer.maybeBuild(this.innerShape(inputShape as Shape));
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [batch, time, ...rest] = x.shape;
    const mask = (Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask) ?? null;
    if (mask != null && (mask.shape[0] !== batch || mask.shape[1] !== time)) {
      throw new ValueError(
        `\`TimeDistributed\` Layer should be passed a \`mask\` of shape (${batch}, ${time}, ...), received: mask.shape=(${mask.shape.join(', ')})`,
      );
    }
    return tf.tidy(() => {
      const merged = tf.reshape(x, [batch * time, ...rest]);
      // As Keras does per timestep, the layer gets the mask of its slice: merged like the input.
      const innerKwargs: CallKwargs = { training: kwargs.training };
      if (mask != null) innerKwargs.mask = tf.reshape(mask, [batch * time, ...mask.shape.slice(2)]);
      const y = this.layer.call(merged, innerKwargs) as tf.Tensor;
      return tf.reshape(y, [batch, time, ...y.shape.slice(1)]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = inputShape as Shape;
    const inner = this.layer.computeOutputShape(this.innerShape(shape)) as Shape;
    return [inner[0], shape[1], ...inner.slice(1)];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: serializeKerasObject('layer', this.layer) };
  }
}

register('layer', 'TimeDistributed', TimeDistributed);
