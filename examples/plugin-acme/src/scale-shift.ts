import {
  type CallKwargs,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  ValueError,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

export interface ScaleShiftArgs extends LayerArgs {
  /** Learn the shift `beta` as well as the scale `gamma`. Default true. */
  center?: boolean;
}

/**
 * `y = x * gamma + beta`, one learned `gamma` (starting at 1) and `beta` (starting at 0) per feature of the
 * last axis: the affine half of a normalization layer, on its own.
 *
 * Input shape: `(batch, ..., features)`. Output shape: the same.
 *
 * ```ts
 * model.add(new ScaleShift({ center: false }));
 * ```
 */
export class ScaleShift extends Layer {
  static override className = 'ScaleShift';

  readonly center: boolean;
  gamma: Variable | null = null;
  beta: Variable | null = null;

  constructor(args: ScaleShiftArgs = {}) {
    super(args);
    const center = args.center ?? true;
    if (typeof center !== 'boolean') {
      throw new ValueError(`Argument \`center\` must be a boolean. Received: center=${String(center)}`);
    }
    this.center = center;
  }

  override build(inputShape: Shape): void {
    const features = inputShape[inputShape.length - 1];
    if (features == null) {
      throw new ValueError(
        `The last dimension of the input to ScaleShift must be defined. Received: input_shape=(${inputShape.join(', ')})`,
      );
    }
    // Plain initializer instances, not names: the plug-in then needs no initializer registry entries.
    this.gamma = this.addWeight('gamma', { shape: [features], initializer: new OnesOrZeros(1) });
    if (this.center)
      this.beta = this.addWeight('beta', { shape: [features], initializer: new OnesOrZeros(0) });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs = {}): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const scaled = tf.mul(x, this.gamma!.value);
      return this.beta ? tf.add(scaled, this.beta.value) : scaled;
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), center: this.center };
  }
}

/** A constant initializer, kept private so the layer works without @strata/layers' initializers. */
class OnesOrZeros {
  constructor(private readonly value: number) {}
  apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    return tf.fill(shape, this.value, dtype);
  }
  getConfig(): Record<string, unknown> {
    return { value: this.value };
  }
}

register('layer', 'ScaleShift', ScaleShift, { package: 'acme', module: '@acme/strata-plugin' });
