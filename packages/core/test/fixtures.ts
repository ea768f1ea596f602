// Minimal layers, a loss and an optimizer for core's own tests; the real ones live in their packages.
import * as tf from '@tensorflow/tfjs-core';

import {
  type CallKwargs,
  type Initializer,
  Layer,
  type LayerArgs,
  Loss,
  Metric,
  Optimizer,
  type OptimizerArgs,
  register,
  registry,
  type Shape,
  type Variable,
} from '../src/index.js';

/** Deterministic uniform initializer so tests are repeatable. */
export class SeededUniform implements Initializer {
  constructor(private seed = 1) {}
  apply(shape: number[]): tf.Tensor {
    return tf.randomUniform(shape, -0.5, 0.5, 'float32', this.seed++);
  }
  getConfig() {
    return { seed: this.seed };
  }
}

export interface TestDenseArgs extends LayerArgs {
  units: number;
  activation?: 'tanh' | 'sigmoid' | 'linear';
  seed?: number;
}

export class TestDense extends Layer {
  static override className = 'TestDense';
  units: number;
  activation: 'tanh' | 'sigmoid' | 'linear';
  seed: number;
  kernel!: Variable;
  bias!: Variable;

  constructor(args: TestDenseArgs) {
    super(args);
    this.units = args.units;
    this.activation = args.activation ?? 'linear';
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: Shape): void {
    const inDim = inputShape[inputShape.length - 1]!;
    this.inputSpec = { minNdim: 2, axes: { [-1]: inDim } };
    this.kernel = this.addWeight('kernel', {
      shape: [inDim, this.units],
      initializer: new SeededUniform(this.seed),
    });
    this.bias = this.addWeight('bias', {
      shape: [this.units],
      initializer: new SeededUniform(this.seed + 100),
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const y = tf.add(tf.matMul(x, this.kernel.value), this.bias.value);
      if (this.activation === 'tanh') return tf.tanh(y);
      if (this.activation === 'sigmoid') return tf.sigmoid(y);
      return y;
    });
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig() {
    return { ...super.getConfig(), units: this.units, activation: this.activation, seed: this.seed };
  }
}

export class TestConcat extends Layer {
  static override className = 'TestConcat';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.concat(inputs as tf.Tensor[], -1);
  }
  override computeOutputShape(shapes: Shape | Shape[]): Shape {
    const list = shapes as Shape[];
    return [list[0][0], list.reduce((n, s) => n + (s[s.length - 1] ?? 0), 0)];
  }
}

export class TestMSE extends Loss {
  static override className = 'TestMSE';
  override call(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.mean(tf.square(tf.sub(yPred, yTrue)), -1);
  }
}

export class TestSGD extends Optimizer {
  static override className = 'TestSGD';
  constructor(args: OptimizerArgs = {}) {
    super({ learningRate: 0.1, ...args });
  }
  override updateStep(gradient: tf.Tensor, variable: Variable, lr: number): void {
    variable.value.assign(tf.sub(variable.value, tf.mul(gradient, lr)));
  }
}

/** Fraction of predictions on the right side of 0.5 (for 0/1 targets). */
export class TestAccuracy extends Metric {
  static override className = 'TestAccuracy';
  private readonly total = this.addVariable('total', []);
  private readonly count = this.addVariable('count', []);
  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor): void {
    tf.tidy(() => {
      const hit = tf.cast(tf.equal(tf.greater(yPred, 0.5), tf.greater(yTrue, 0.5)), 'float32');
      this.total.value.assign(tf.add(this.total.value, tf.sum(hit)));
      this.count.value.assign(tf.add(this.count.value, hit.size));
    });
  }
  override result(): tf.Tensor {
    return tf.tidy(() => tf.div(this.total.value, this.count.value));
  }
}

export function registerTestClasses(): void {
  if (registry.has('layer', 'TestDense')) return;
  register('layer', 'TestDense', TestDense);
  register('layer', 'TestConcat', TestConcat);
  register('loss', 'TestMSE', TestMSE, { aliases: ['test_mse'] });
  register('optimizer', 'TestSGD', TestSGD, { aliases: ['test_sgd'] });
  register('metric', 'TestAccuracy', TestAccuracy, { aliases: ['test_acc'] });
}

/** XOR-like data: label 1 when the signs of the two features differ. */
export function xorData(n = 64, seed = 3): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 2], -1, 1, 'float32', seed) as tf.Tensor2D;
    const [a, b] = tf.split(x, 2, 1);
    const y = tf.cast(tf.less(tf.mul(a, b), 0), 'float32') as tf.Tensor2D;
    return { x, y };
  });
}
