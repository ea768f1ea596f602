/**
 * The steps of Keras's guide "Customizing what happens in fit()", as Strata users write them (issue 18). Used by
 * custom-train-step.test.ts (against the built-in step) and interop/guide-steps.test.ts (against Keras 3 itself).
 */
import { type Metric, Model, type StepData, type StepLogs, valueAndGrads } from '@strata/core';
import { Mean, metrics } from '@strata/losses-metrics';
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
