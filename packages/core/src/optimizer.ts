import * as tf from '@tensorflow/tfjs-core';

import { ValueError } from './errors.js';
import { toSnakeCase } from './naming.js';
import { Variable } from './variable.js';

/** A learning-rate schedule: the learning rate as a function of the optimizer step (Keras's `LearningRateSchedule`). */
export abstract class LearningRateSchedule {
  static className = 'LearningRateSchedule';

  /** The learning rate at `step` (0-based iteration count). */
  abstract call(step: number): number;

  abstract getConfig(): Record<string, unknown>;

  static fromConfig<T extends LearningRateSchedule>(this: new (args: any) => T, config: Record<string, any>): T {
    return new this(config);
  }
}

export type LearningRate = number | LearningRateSchedule | ((iteration: number) => number);

export interface OptimizerArgs {
  learningRate?: LearningRate;
  weightDecay?: number | null;
  clipnorm?: number | null;
  clipvalue?: number | null;
  globalClipnorm?: number | null;
  useEma?: boolean;
  emaMomentum?: number;
  emaOverwriteFrequency?: number | null;
  gradientAccumulationSteps?: number | null;
  name?: string;
}

/**
 * The base class of optimizers (Keras 3's `BaseOptimizer`). Subclasses create their slot variables in
 * `build` with `addVariableFromReference` and implement `updateStep`; `apply` does the rest in Keras 3's
 * order. The iteration count is mirrored on the host so that no step reads the device.
 */
export abstract class Optimizer {
  static className = 'Optimizer';

  name: string;
  readonly iterations: Variable;
  built = false;
  protected _learningRate: LearningRate;
  /** The iteration count, mirrored on the host. */
  protected _step = 0;
  private readonly _slotVariables: Variable[] = [];
  protected _trackedVariables: Variable[] = [];

  constructor(args: OptimizerArgs = {}) {
    this.name = args.name ?? toSnakeCase(this.getClassName());
    const lr = args.learningRate ?? 0.001;
    if (typeof lr === 'number' && (!(lr >= 0) || !Number.isFinite(lr))) {
      throw new ValueError(`Argument \`learning_rate\` should be a non-negative number. Received: learning_rate=${lr}`);
    }
    this._learningRate = lr;
    const zero = tf.scalar(0, 'int32');
    this.iterations = new Variable({ initialValue: zero, name: 'iteration', path: `${this.name}/iteration`, trainable: false });
    zero.dispose();
  }

  getClassName(): string {
    const ctor = this.constructor as typeof Optimizer;
    return Object.hasOwn(ctor, 'className') ? ctor.className : ctor.name;
  }

  /** The current learning rate as a number (a schedule is evaluated at the current step). */
  get learningRate(): number {
    const lr = this._learningRate;
    if (typeof lr === 'number') return lr;
    if (lr instanceof LearningRateSchedule) return lr.call(this._step);
    return lr(this._step);
  }

  set learningRate(value: LearningRate) {
    this._learningRate = value;
  }

  /** The host mirror of `iterations`. */
  get step(): number {
    return this._step;
  }

  /** Creates slot variables for the model variables. Subclasses call `super.build(variables)` first. */
  build(variables: Variable[]): void {
    this._trackedVariables = variables.slice();
    this.built = true;
  }

  /** A zero-filled (or `initialValue`-filled) variable shaped like `reference`, named `<path>_<name>`. */
  addVariableFromReference(reference: Variable, name: string, initialValue = 0): Variable {
    const init = tf.fill(reference.shape, initialValue, reference.dtype);
    const v = new Variable({
      initialValue: init,
      name: `${reference.path.replace(/\//g, '_')}_${name}`,
      path: `${this.name}/${reference.path.replace(/\//g, '_')}_${name}`,
      trainable: false,
    });
    init.dispose();
    this._slotVariables.push(v);
    return v;
  }

  /** All optimizer state in Keras order: iterations, then slots in creation order. */
  get variables(): Variable[] {
    return [this.iterations, ...this._slotVariables];
  }

  /** Updates one variable in place from its gradient. */
  abstract updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void;

  /** Applies gradients to variables (Keras's `apply`): builds on first use, updates, constrains, counts. */
  apply(gradients: tf.Tensor[], variables: Variable[]): void {
    if (gradients.length !== variables.length) {
      throw new ValueError(
        `Optimizer.apply expects one gradient per variable. Received: ${gradients.length} gradients for ${variables.length} variables.`,
      );
    }
    if (!this.built) this.build(variables);
    const lr = this.learningRate;
    tf.tidy(() => {
      gradients.forEach((g, i) => {
        if (g != null) this.updateStep(g, variables[i], lr);
      });
      for (const v of variables) if (v.constraint) v.assign(v.constraint.apply(v.value));
      this.iterations.value.assign(tf.add(this.iterations.value, tf.scalar(1, 'int32')));
    });
    this._step++;
  }

  /** Re-reads the host mirror of the iteration count after state was loaded. */
  syncStep(): void {
    this._step = this.iterations.value.dataSync()[0];
  }

  getConfig(): Record<string, unknown> {
    const lr = this._learningRate;
    return { name: this.name, learningRate: typeof lr === 'number' ? lr : this.learningRate };
  }

  static fromConfig<T extends Optimizer>(this: new (args: any) => T, config: Record<string, any>): T {
    return new this(config);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
