/**
 * The steps of Keras's guide "Customizing what happens in fit()", as Strata users write them (issue 18). Used by
 * custom-train-step.test.ts (against the built-in step) and interop/guide-steps.test.ts (against Keras 3 itself).
 */
import {
  type CompileArgs,
  checkArgumentNames,
  type Metric,
  Model,
  type Optimizer,
  type StepData,
  type StepInputs,
  type StepLogs,
  ValueError,
  valueAndGrads,
} from '@strata/core';
import { type losses, Mean, metrics } from '@strata/losses-metrics';
import * as tf from '@tensorflow/tfjs-core';

/** The guide's first example: computeLoss and the compiled metrics. */
export class ComputeLossModel extends Model {
  override trainStep({ x, y }: StepData): StepLogs {
    const vars = this.trainableWeights;
    const {
      value: loss,
      grads,
      aux: yPred,
    } = valueAndGrads(() => {
      const pred = this.call(x as tf.Tensor, { training: true }) as tf.Tensor;
      return [this.computeLoss({ x, y, yPred: pred }), pred] as const;
    }, vars);
    this.optimizer!.applyGradients(grads.map((g, i) => [g, vars[i]]));
    for (const m of this.metrics) {
      if (m.name === 'loss') (m as Mean).updateState(loss);
      else m.updateState(y as tf.Tensor, yPred);
    }
    return Object.fromEntries(this.metrics.map((m) => [m.name, m.result()]));
  }
}

/** The guide's lower-level step: its own Mean trackers and a metrics getter; compiled without a loss. */
export class LowLevel extends Model {
  lossTracker = new Mean({ name: 'loss' });
  maeMetric = new metrics.MeanAbsoluteError({ name: 'mae' });
  override get metrics(): Metric[] {
    return [this.lossTracker, this.maeMetric];
  }
  override trainStep({ x, y }: StepData): StepLogs {
    const vars = this.trainableWeights;
    const { value, grads, aux } = valueAndGrads(() => {
      const pred = this.call(x as tf.Tensor, { training: true }) as tf.Tensor;
      return [tf.mean(tf.square(tf.sub(pred, y as tf.Tensor))) as tf.Scalar, pred] as const;
    }, vars);
    this.optimizer!.applyGradients(grads.map((g, i) => [g, vars[i]]));
    this.lossTracker.updateState(value);
    this.maeMetric.updateState(y as tf.Tensor, aux);
    return { loss: this.lossTracker.result(), mae: this.maeMetric.result() };
  }
}

/** The guide's step with sample weights. */
export class Weighted extends Model {
  override trainStep({ x, y, sampleWeight }: StepData): StepLogs {
    const vars = this.trainableWeights;
    const {
      value: loss,
      grads,
      aux: yPred,
    } = valueAndGrads(() => {
      const pred = this.call(x as tf.Tensor, { training: true }) as tf.Tensor;
      return [this.computeLoss({ y, yPred: pred, sampleWeight }), pred] as const;
    }, vars);
    this.optimizer!.applyGradients(grads.map((g, i) => [g, vars[i]]));
    for (const m of this.metrics) {
      if (m.name === 'loss') (m as Mean).updateState(loss);
      else m.updateState(y as tf.Tensor, yPred, sampleWeight as tf.Tensor);
    }
    return Object.fromEntries(this.metrics.map((m) => [m.name, m.result()]));
  }
}

/** The guide's custom testStep. */
export class CustomTest extends Model {
  override testStep({ x, y }: StepData): StepLogs {
    const yPred = this.call(x as tf.Tensor, { training: false }) as tf.Tensor;
    const loss = this.computeLoss({ y, yPred });
    for (const m of this.metrics) {
      if (m.name === 'loss') (m as Mean).updateState(loss);
      else m.updateState(y as tf.Tensor, yPred);
    }
    return Object.fromEntries(this.metrics.map((m) => [m.name, m.result()]));
  }
}

/** The GAN's compile arguments; optional fields keep the override compatible with Model.compile's type. */
export interface GanCompileArgs extends Partial<CompileArgs> {
  dOptimizer?: Optimizer;
  gOptimizer?: Optimizer;
  lossFn?: losses.BinaryCrossentropy;
}

/**
 * The guide's GAN: two optimizers, and a `compile` that takes them and the loss. The guide draws its latent
 * vectors and label noise inside the step from the framework's RNG; here they come with the batch
 * (`[realImages, discriminatorLatents, generatorLatents, labelNoise]`, label noise as one column for the fake
 * row and one for the real row), so Keras and Strata can run the same five steps.
 */
export class GAN extends Model {
  dOptimizer!: Optimizer;
  gOptimizer!: Optimizer;
  lossFn!: losses.BinaryCrossentropy;
  dLossTracker = new Mean({ name: 'd_loss' });
  gLossTracker = new Mean({ name: 'g_loss' });

  constructor(
    readonly discriminator: Model,
    readonly generator: Model,
  ) {
    super({ name: 'gan' });
  }

  override call(x: StepInputs): tf.Tensor {
    return this.discriminator.apply(Array.isArray(x) ? x[0] : (x as tf.Tensor)) as tf.Tensor;
  }

  override get metrics(): Metric[] {
    return [this.dLossTracker, this.gLossTracker];
  }

  override compile(args: GanCompileArgs): void {
    checkArgumentNames(args, ['dOptimizer', 'gOptimizer', 'lossFn'], 'GAN.compile()');
    const { dOptimizer, gOptimizer, lossFn } = args;
    if (!dOptimizer || !gOptimizer || !lossFn) {
      throw new ValueError(
        `GAN.compile() needs dOptimizer, gOptimizer and lossFn. Received: ${Object.keys(args).join(', ')}`,
      );
    }
    super.compile({ optimizer: dOptimizer });
    this.dOptimizer = dOptimizer;
    this.gOptimizer = gOptimizer;
    this.lossFn = lossFn;
  }

  override trainStep({ x }: StepData): StepLogs {
    const [real, dLatent, gLatent, labelNoise] = x as tf.Tensor[];
    const n = real.shape[0]!;
    // Decode latent points to fake images; label them 1 and the real ones 0, plus the guide's label noise.
    const fake = this.generator.apply(dLatent) as tf.Tensor;
    const combined = tf.concat([fake, real], 0);
    const noise = tf.concat([tf.slice(labelNoise, [0, 0], [n, 1]), tf.slice(labelNoise, [0, 1], [n, 1])], 0);
    const labels = tf.add(tf.concat([tf.ones([n, 1]), tf.zeros([n, 1])], 0), tf.mul(0.05, noise));
    const dVars = this.discriminator.trainableWeights;
    const d = valueAndGrads(
      () => this.lossFn.apply(labels, this.discriminator.apply(combined) as tf.Tensor) as tf.Scalar,
      dVars,
    );
    this.dOptimizer.applyGradients(d.grads.map((g, i) => [g, dVars[i]]));
    // Train the generator with labels that say "all real", leaving the discriminator's weights alone.
    const misleading = tf.zeros([n, 1]);
    const gVars = this.generator.trainableWeights;
    const g = valueAndGrads(
      () =>
        this.lossFn.apply(
          misleading,
          this.discriminator.apply(this.generator.apply(gLatent) as tf.Tensor) as tf.Tensor,
        ) as tf.Scalar,
      gVars,
    );
    this.gOptimizer.applyGradients(g.grads.map((gr, i) => [gr, gVars[i]]));
    this.dLossTracker.updateState(d.value);
    this.gLossTracker.updateState(g.value);
    return { d_loss: this.dLossTracker.result(), g_loss: this.gLossTracker.result() };
  }
}
