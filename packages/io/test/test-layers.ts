/**
 * Two small layers registered under a test package prefix, so the io pipeline can be tested on its own:
 * a dense layer (trainable kernel and bias) and a layer with non-trainable float and int32 state.
 */
import {
  type CallKwargs,
  Layer,
  type LayerArgs,
  register,
  registry,
  type Shape,
  type Variable,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

export class TestDense extends Layer {
  static override className = 'TestDense';
  readonly units: number;
  kernel!: Variable;
  bias!: Variable;

  constructor(args: LayerArgs & { units: number }) {
    super(args);
    this.units = args.units;
  }

  override build(inputShape: Shape): void {
    this.kernel = this.addWeight('kernel', {
      shape: [inputShape[inputShape.length - 1] as number, this.units],
      initializer: { apply: (s) => tf.randomNormal(s), getConfig: () => ({}) },
    });
    this.bias = this.addWeight('bias', {
      shape: [this.units],
      initializer: { apply: (s) => tf.randomNormal(s), getConfig: () => ({}) },
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() =>
      tf.add(tf.matMul(x as tf.Tensor2D, this.kernel.value as tf.Tensor2D), this.bias.value),
    );
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units };
  }
}

/** Adds a non-trainable shift and counts calls in an int32 variable (like Normalization's count). */
export class TestShift extends Layer {
  static override className = 'TestShift';
  shift!: Variable;
  count!: Variable;

  override build(inputShape: Shape): void {
    const n = inputShape[inputShape.length - 1] as number;
    this.shift = this.addWeight('shift', {
      shape: [n],
      trainable: false,
      initializer: { apply: (s) => tf.randomUniform(s), getConfig: () => ({}) },
    });
    this.count = this.addWeight('count', {
      shape: [],
      trainable: false,
      dtype: 'int32',
      initializer: { apply: (s) => tf.fill(s, 7, 'int32'), getConfig: () => ({}) },
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.add(x, this.shift.value);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
}

/** Concatenates its inputs on the last axis. */
export class TestConcat extends Layer {
  static override className = 'TestConcat';

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.concat(inputs as tf.Tensor[], -1);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape[];
    return [...shapes[0].slice(0, -1), shapes.reduce((n, s) => n + (s[s.length - 1] as number), 0)];
  }
}

for (const cls of [TestDense, TestShift, TestConcat]) {
  if (!registry.has('layer', cls.className))
    register('layer', cls.className, cls, { module: '@strata/io/test' });
}
