import * as tf from '@tensorflow/tfjs-core';

import { assertBackendRegistered } from './backend-check.js';
import { formatShape, ValueError } from './errors.js';
import {
  BASE_OPTIMIZER_ARGUMENTS,
  checkArgumentsAgainstConfig,
  withoutArgumentCheck,
} from './layer-arguments.js';
import { toSnakeCase, uniqueName } from './naming.js';
import {
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  serializeKerasObject,
} from './serialization.js';
import { Variable } from './variable.js';

/**
 * A learning-rate schedule: the learning rate as a function of the optimizer step (Keras's
 * `LearningRateSchedule`). `call` runs on the host, so an optimizer never reads the device to know it.
 *
 * Keras: `keras.optimizers.schedules.LearningRateSchedule`
 *
 * @example
 * ```ts
 * class HalveEvery100 extends LearningRateSchedule {
 *   override call(step: number) {
 *     return 0.1 * 0.5 ** Math.floor(step / 100);
 *   }
 *   override getConfig() {
 *     return {};
 *   }
 * }
 * const opt = new SGD({ learningRate: new HalveEvery100() });
 * ```
 */
export abstract class LearningRateSchedule {
  static className = 'LearningRateSchedule';

  /** The learning rate at `step` (the 0-based iteration count). */
  abstract call(step: number): number;

  abstract getConfig(): Record<string, unknown>;

  static fromConfig<T extends LearningRateSchedule>(
    this: new (
      args: any,
    ) => T,
    config: Record<string, any>,
  ): T {
    return new this(config);
  }
}

/** A number, a schedule, or a function of the iteration count. */
export type LearningRate = number | LearningRateSchedule | ((iteration: number) => number);

/**
 * Arguments every optimizer accepts: Keras's base `Optimizer` arguments (learning rate, weight decay,
 * clipping, EMA), in camelCase.
 */
export interface OptimizerArgs {
  /** A number, a `LearningRateSchedule`, a function of the iteration, or a serialized schedule. */
  learningRate?: LearningRate | KerasObjectJSON;
  weightDecay?: number | null;
  clipnorm?: number | null;
  clipvalue?: number | null;
  globalClipnorm?: number | null;
  useEma?: boolean;
  emaMomentum?: number;
  emaOverwriteFrequency?: number | null;
  lossScaleFactor?: number | null;
  gradientAccumulationSteps?: number | null;
  name?: string | null;
}

function checkOptionalNumber(key: string, value: unknown): number | null {
  if (value == null) return null;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ValueError(`Argument \`${key}\` should be a number or null. Received: ${key}=${String(value)}`);
  }
  return value;
}

function checkLearningRateValue(lr: number): number {
  if (!(lr >= 0) || !Number.isFinite(lr)) {
    throw new ValueError(
      `Argument \`learning_rate\` should be a non-negative number. Received: learning_rate=${lr}`,
    );
  }
  return lr;
}

/**
 * The base class of optimizers (Keras 3's `BaseOptimizer`). A subclass creates its slot variables in
 * `build` (after `super.build`) with `addOptimizerVariables`, and implements `updateStep`; `apply` does
 * the rest in Keras 3's order: filter missing gradients, unscale, accumulate, clip, decay weights,
 * update, EMA, constraints, count the iteration.
 *
 * Speed: the iteration count and a numeric learning rate are mirrored on the host, so no step reads the
 * device; per-step scalars are uploaded once per step (see `constant`), and each variable is updated in
 * its own `tf.tidy` with in-place `assign`.
 *
 * Keras: `keras.optimizers.Optimizer`
 *
 * @example
 * ```ts
 * // Concrete optimizers live in @strata/optimizers: Adam, SGD, RMSprop, ...
 * const opt: Optimizer = new SGD({ learningRate: 0.01 });
 * opt.learningRate; // 0.01
 * ```
 */
export abstract class Optimizer {
  static className = 'Optimizer';

  name: string;
  weightDecay: number | null;
  clipnorm: number | null;
  clipvalue: number | null;
  globalClipnorm: number | null;
  useEma: boolean;
  emaMomentum: number;
  emaOverwriteFrequency: number | null;
  lossScaleFactor: number | null;
  gradientAccumulationSteps: number | null;
  /** The number of `apply` calls so far (Keras's `optimizer._iterations`), an int32 scalar. */
  readonly iterations: Variable;
  built = false;

  /** A number here is the host mirror of `_learningRateVariable`. */
  protected _learningRate: LearningRate;
  private _learningRateVariable: Variable | null = null;
  /** The host mirror of `iterations`. */
  protected _step = 0;
  private readonly _variables: Variable[] = [];
  protected _trainableVariables: Variable[] = [];
  private readonly _variableIndices = new Map<Variable, number>();
  private _averages: Variable[] = [];
  private _accumulators: Variable[] = [];
  private _excludedFromDecay = new Set<Variable>();
  private _excludedFromDecayPattern: RegExp | null = null;
  private readonly _constants = new Map<number, tf.Scalar>();
  private readonly _warnedMissing = new Set<string>();

  constructor(args: OptimizerArgs = {}) {
    checkArgumentsAgainstConfig(new.target as never, args, BASE_OPTIMIZER_ARGUMENTS);
    this.name = args.name ?? uniqueName(toSnakeCase(this.getClassName()));
    this.weightDecay = checkOptionalNumber('weight_decay', args.weightDecay);
    this.clipnorm = checkOptionalNumber('clipnorm', args.clipnorm);
    this.clipvalue = checkOptionalNumber('clipvalue', args.clipvalue);
    this.globalClipnorm = checkOptionalNumber('global_clipnorm', args.globalClipnorm);
    this.lossScaleFactor = checkOptionalNumber('loss_scale_factor', args.lossScaleFactor);
    this.useEma = args.useEma ?? false;
    this.emaMomentum = args.emaMomentum ?? 0.99;
    this.emaOverwriteFrequency = args.emaOverwriteFrequency ?? null;
    this.gradientAccumulationSteps = args.gradientAccumulationSteps ?? null;

    const steps = this.gradientAccumulationSteps;
    if (steps != null && !(Number.isInteger(steps) && steps >= 2)) {
      throw new ValueError(
        `\`gradient_accumulation_steps\` must be an integer >= 2. Received: gradient_accumulation_steps=${steps}`,
      );
    }
    if (this.useEma) {
      if (!(this.emaMomentum >= 0 && this.emaMomentum <= 1)) {
        throw new ValueError(
          `\`ema_momentum\` must be in the range [0, 1]. Received: ema_momentum=${this.emaMomentum}`,
        );
      }
      const f = this.emaOverwriteFrequency;
      if (f != null && !(Number.isInteger(f) && f >= 1)) {
        throw new ValueError(
          `\`ema_overwrite_frequency\` must be an integer >= 1 or None. Received: ema_overwrite_frequency=${f}`,
        );
      }
    }
    const clipArgs = [this.clipnorm, this.clipvalue, this.globalClipnorm].filter((a) => a != null).length;
    if (clipArgs > 1) {
      throw new ValueError(
        'Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. ' +
          `Received: clipnorm=${this.clipnorm}, clipvalue=${this.clipvalue}, global_clipnorm=${this.globalClipnorm}`,
      );
    }

    let lr = args.learningRate ?? 0.001;
    if (isKerasObjectJSON(lr)) lr = deserializeKerasObject<LearningRateSchedule>('schedule', lr);
    if (typeof lr === 'number') checkLearningRateValue(lr);
    else if (!(lr instanceof LearningRateSchedule) && typeof lr !== 'function') {
      throw new ValueError(
        'Argument `learning_rate` should be a number, a LearningRateSchedule, or a function of the iteration ' +
          `that returns the learning rate. Received: learning_rate=${JSON.stringify(lr)}`,
      );
    }
    this._learningRate = lr;

    // Variables last, so that a rejected argument leaves no tensor behind.
    assertBackendRegistered(`Optimizer "${this.name}" creating its iteration counter`);
    const zero = tf.scalar(0, 'int32');
    this.iterations = new Variable({
      initialValue: zero,
      name: 'iteration',
      path: `${this.name}/iteration`,
      trainable: false,
    });
    zero.dispose();
    this._variables.push(this.iterations);
    if (typeof lr === 'number') this._learningRateVariable = this.createLearningRateVariable(lr);
  }

  getClassName(): string {
    const ctor = this.constructor as typeof Optimizer;
    return Object.hasOwn(ctor, 'className') ? ctor.className : ctor.name;
  }

  private createLearningRateVariable(value: number): Variable {
    const init = tf.scalar(value, 'float32');
    const v = new Variable({
      initialValue: init,
      name: 'learning_rate',
      path: `${this.name}/learning_rate`,
      trainable: false,
    });
    init.dispose();
    // Keras tracks it right after the iteration count.
    this._variables.splice(1, 0, v);
    return v;
  }

  /** The current learning rate as a number (a schedule or function is evaluated at the current step). */
  get learningRate(): number {
    const lr = this._learningRate;
    if (typeof lr === 'number') return lr;
    if (lr instanceof LearningRateSchedule) return lr.call(this._step);
    return lr(this._step);
  }

  /**
   * Sets the learning rate (ReduceLROnPlateau does this). A number is written to the learning-rate
   * variable; a schedule or function replaces it. As in Keras, a learning rate created as a schedule or
   * function cannot be set to a number.
   */
  set learningRate(value: LearningRate) {
    if (typeof value === 'number') {
      if (this._learningRateVariable == null) {
        throw new TypeError(
          'This optimizer was created with a `LearningRateSchedule` object (or a function) as its `learning_rate` ' +
            'constructor argument, hence its learning rate is not settable. If you need the learning rate to be ' +
            'settable, you should instantiate the optimizer with a number `learning_rate` argument.',
        );
      }
      checkLearningRateValue(value);
      const t = tf.scalar(value, 'float32');
      this._learningRateVariable.value.assign(t);
      t.dispose();
      this._learningRate = value;
      return;
    }
    if (!(value instanceof LearningRateSchedule) && typeof value !== 'function') {
      throw new ValueError(
        `The learning rate must be a number, a LearningRateSchedule or a function. Received: ${JSON.stringify(value)}`,
      );
    }
    if (this._learningRateVariable != null) {
      this._variables.splice(this._variables.indexOf(this._learningRateVariable), 1);
      this._learningRateVariable.dispose();
      this._learningRateVariable = null;
    }
    this._learningRate = value;
  }

  /** The host mirror of `iterations` (every `apply` call counts). */
  get step(): number {
    return this._step;
  }

  /**
   * The number of updates applied: Keras's `optimizer.iterations` as the update rules see it. Equal to
   * `step`, except under gradient accumulation, where it is `step` divided by the accumulation steps.
   */
  get updateCount(): number {
    const steps = this.gradientAccumulationSteps;
    return steps ? Math.floor(this._step / steps) : this._step;
  }

  /**
   * Creates the optimizer's variables for `variables` (EMA averages and gradient accumulators here;
   * slots in subclasses, which return early when already built and call `super.build` first).
   */
  build(variables: Variable[]): void {
    if (this.useEma) [this._averages] = this.addOptimizerVariables(variables, ['average']);
    if (this.gradientAccumulationSteps) {
      [this._accumulators] = this.addOptimizerVariables(variables, ['gradient_accumulator']);
    }
    variables.forEach((v, i) => {
      this._variableIndices.set(v, i);
    });
    this._trainableVariables = variables.slice();
    this.built = true;
  }

  /** Adds an optimizer variable (Keras's `add_variable`), filled with `initialValue`. */
  addVariable(options: {
    shape: number[];
    name: string;
    dtype?: tf.DataType;
    initialValue?: number;
  }): Variable {
    const init = tf.fill(options.shape, options.initialValue ?? 0, options.dtype ?? 'float32');
    const v = new Variable({
      initialValue: init,
      name: options.name,
      path: `${this.name}/${options.name}`,
      trainable: false,
    });
    init.dispose();
    this._variables.push(v);
    return v;
  }

  /** A variable shaped like `reference`, filled with `initialValue`, named `<reference path>_<name>` as in Keras. */
  addVariableFromReference(reference: Variable, name: string, initialValue = 0): Variable {
    return this.addVariable({
      shape: reference.shape,
      dtype: reference.dtype,
      initialValue,
      name: `${reference.path.replace(/\//g, '_')}_${name}`,
    });
  }

  /**
   * Keras 3's `add_optimizer_variables`: one variable per name for each model variable, created
   * variable by variable (for two names: v0_a, v0_b, v1_a, v1_b, ...), which fixes their order in
   * `variables` and in saved files. Returns one list per name.
   */
  addOptimizerVariables(
    variables: Variable[],
    names: string[],
    initialValue: number | number[] = 0,
  ): Variable[][] {
    const inits = Array.isArray(initialValue) ? initialValue : names.map(() => initialValue);
    if (inits.length !== names.length) {
      throw new ValueError(
        `The number of provided names must match the number of provided initial values. Received: names=${names}, initial_value=${inits}`,
      );
    }
    const lists: Variable[][] = names.map(() => []);
    for (const v of variables) {
      names.forEach((n, i) => {
        lists[i].push(this.addVariableFromReference(v, n, inits[i]));
      });
    }
    return lists;
  }

  /** All optimizer state in Keras order: iteration, learning_rate (when a number), then what `build` created. */
  get variables(): Variable[] {
    return this._variables.slice();
  }

  /** The position of a model variable in the list the optimizer was built with. */
  protected variableIndex(variable: Variable): number {
    const i = this._variableIndices.get(variable);
    if (i === undefined) {
      throw new ValueError(
        `Unknown variable: '${variable.path}'. This optimizer can only be called for the variables it was ` +
          'originally built with. When working with a new set of variables, you should recreate a new optimizer instance.',
      );
    }
    return i;
  }

  /**
   * A float32 scalar for `value`, uploaded once per `apply` call and shared by every variable's update
   * (tfjs would otherwise upload a number operand for each op).
   */
  protected constant(value: number): tf.Scalar {
    let t = this._constants.get(value);
    if (t === undefined) {
      t = tf.keep(tf.scalar(value, 'float32'));
      this._constants.set(value, t);
    }
    return t;
  }

  /** Updates one variable (and its slots) in place from its gradient; runs inside `tf.tidy`. */
  abstract updateStep(gradient: tf.Tensor, variable: Variable, learningRate: number): void;

  /** Keras's `_backend_update_step`: updates every variable; a subclass may do per-step work first. */
  protected updateAll(gradients: tf.Tensor[], variables: Variable[], learningRate: number): void {
    for (let i = 0; i < variables.length; i++) {
      tf.tidy(() => this.updateStep(gradients[i], variables[i], learningRate));
    }
  }

  /**
   * Applies `[gradient, variable]` pairs (Keras's `apply_gradients`); the same as
   * `apply(gradients, variables)`. Nothing is changed when an argument is wrong.
   */
  applyGradients(gradsAndVars: [tf.Tensor | null | undefined, Variable][]): void {
    const isPair = (p: unknown) =>
      Array.isArray(p) &&
      p.length === 2 &&
      (p[0] == null || p[0] instanceof tf.Tensor) &&
      p[1] instanceof Variable;
    if (!Array.isArray(gradsAndVars) || !gradsAndVars.every(isPair)) {
      const bad = Array.isArray(gradsAndVars)
        ? `grads_and_vars[${gradsAndVars.findIndex((p) => !isPair(p))}] is not a [gradient, variable] pair`
        : String(gradsAndVars);
      throw new ValueError(
        `applyGradients expects a list of [gradient, variable] pairs (variables from model.trainableWeights). Received: ${bad}`,
      );
    }
    this.apply(
      gradsAndVars.map((p) => p[0]),
      gradsAndVars.map((p) => p[1]),
    );
  }

  /**
   * Applies gradients to variables (Keras's `apply`). On the first call the optimizer is built for
   * `variables`; later calls must pass the same variables (or omit them). A null gradient skips its
   * variable. Nothing is changed when an argument is wrong.
   */
  apply(gradients: (tf.Tensor | null | undefined)[], variables?: Variable[]): void {
    if (gradients.length === 0) return;
    let vars: Variable[];
    if (variables === undefined) {
      if (!this.built) {
        throw new ValueError(
          'When passing `grads` without `variables`, the optimizer must already be built on a list of variables. ' +
            'Call `optimizer.build(trainableVariables)` first.',
        );
      }
      vars = this._trainableVariables;
    } else {
      vars = variables;
    }
    if (gradients.length !== vars.length) {
      throw new ValueError(
        `Optimizer.apply expects one gradient per variable. Received: ${gradients.length} gradients for ${vars.length} variables.`,
      );
    }
    if (this.built) for (const v of vars) this.variableIndex(v);

    const grads: tf.Tensor[] = [];
    const kept: Variable[] = [];
    const missing: string[] = [];
    gradients.forEach((g, i) => {
      const v = vars[i];
      if (g == null) {
        missing.push(v.path);
        return;
      }
      if (!tf.util.arraysEqual(g.shape, v.shape)) {
        throw new ValueError(
          `Gradient ${i} has shape ${formatShape(g.shape)}, but variable '${v.path}' has shape ${formatShape(v.shape)}.`,
        );
      }
      grads.push(g);
      kept.push(v);
    });
    if (grads.length === 0) throw new ValueError('No gradients provided for any variable.');
    if (!this.built) this.build(vars);
    this.warnMissing(missing);

    // The device holds the rate in float32; folding the same float32 value into host-side factors keeps
    // a run restored from saved state bit-identical to an uninterrupted one.
    const lr = Math.fround(this.learningRate);
    try {
      tf.tidy(() => {
        let gs = grads.map((g, i) => (g.dtype === kept[i].dtype ? g : tf.cast(g, kept[i].dtype)));
        if (this.lossScaleFactor != null) gs = gs.map((g) => tf.div(g, this.constant(this.lossScaleFactor!)));
        const steps = this.gradientAccumulationSteps;
        if (steps) {
          const accs = kept.map((v) => this._accumulators[this.variableIndex(v)]);
          if ((this._step + 1) % steps === 0) {
            gs = gs.map((g, i) => tf.div(tf.add(g, accs[i].value), this.constant(steps)));
            this.clipDecayAndUpdate(gs, kept, lr);
            for (const acc of this._accumulators) acc.value.assign(tf.zerosLike(acc.value));
          } else {
            gs.forEach((g, i) => {
              accs[i].value.assign(tf.add(accs[i].value, g));
            });
          }
        } else {
          this.clipDecayAndUpdate(gs, kept, lr);
        }
        if (this.useEma) this.updateAverages();
        for (const v of kept) {
          if (v.constraint) v.value.assign(v.constraint.apply(v.value));
        }
        this.iterations.value.assign(tf.scalar(this._step + 1, 'int32'));
      });
      this._step++;
    } finally {
      for (const t of this._constants.values()) t.dispose();
      this._constants.clear();
    }
  }

  private warnMissing(paths: string[]): void {
    const fresh = paths.filter((p) => !this._warnedMissing.has(p));
    if (fresh.length === 0) return;
    for (const p of fresh) this._warnedMissing.add(p);
    console.warn(
      `Gradients do not exist for variables [${fresh.join(', ')}] when minimizing the loss. ` +
        'If using `model.compile()`, did you forget to provide a `loss` argument?',
    );
  }

  private clipDecayAndUpdate(gradients: tf.Tensor[], variables: Variable[], lr: number): void {
    const clipped = this.clipGradients(gradients);
    this.applyWeightDecay(variables, lr);
    this.updateAll(clipped, variables, lr);
  }

  private clipGradients(grads: tf.Tensor[]): tf.Tensor[] {
    if (this.clipnorm != null && this.clipnorm > 0) {
      const c = this.constant(this.clipnorm);
      // g * c / max(||g||, c), with the ratio taken on the scalar.
      return grads.map((g) => tf.mul(g, tf.div(c, tf.maximum(tf.sqrt(tf.sum(tf.square(g))), c))));
    }
    if (this.globalClipnorm != null && this.globalClipnorm > 0) {
      const c = this.globalClipnorm;
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      // For a non-finite norm, `norm - norm` turns the scale into NaN, as Keras does.
      const scale = tf.add(tf.mul(tf.minimum(tf.reciprocal(norm), 1 / c), c), tf.sub(norm, norm));
      return grads.map((g) => tf.mul(g, scale));
    }
    if (this.clipvalue != null && this.clipvalue > 0) {
      const v = this.clipvalue;
      return grads.map((g) => tf.clipByValue(g, -v, v));
    }
    return grads;
  }

  /**
   * Excludes variables from weight decay (Keras's `exclude_from_weight_decay`): the variables in
   * `varList`, and those whose name matches any of `varNames` (regular-expression fragments, e.g. 'bias').
   * Call it before the optimizer is built.
   */
  excludeFromWeightDecay(options: { varList?: Variable[]; varNames?: string[] } = {}): void {
    if (this.built) {
      throw new ValueError(
        '`excludeFromWeightDecay()` can only be configured before the optimizer is built.',
      );
    }
    this._excludedFromDecay = new Set(options.varList ?? []);
    const names = options.varNames ?? [];
    this._excludedFromDecayPattern = names.length > 0 ? new RegExp([...new Set(names)].join('|')) : null;
  }

  private usesWeightDecay(variable: Variable): boolean {
    if (this._excludedFromDecay.has(variable)) return false;
    return !this._excludedFromDecayPattern?.test(variable.name);
  }

  /** Decoupled weight decay, before the update: `w <- w - w * weight_decay * learning_rate`. */
  private applyWeightDecay(variables: Variable[], lr: number): void {
    if (this.weightDecay == null) return;
    const factor = this.constant(1 - this.weightDecay * lr);
    for (const v of variables) {
      if (this.usesWeightDecay(v)) v.value.assign(tf.mul(v.value, factor));
    }
  }

  private updateAverages(): void {
    // Keras starts the average at the variable's value (momentum 0 on the first update).
    const momentum = this.updateCount !== 0 ? this.emaMomentum : 0;
    const keep = this.constant(momentum);
    const take = this.constant(1 - momentum);
    this._trainableVariables.forEach((v, i) => {
      const avg = this._averages[i];
      tf.tidy(() => avg.value.assign(tf.add(tf.mul(avg.value, keep), tf.mul(v.value, take))));
    });
    const f = this.emaOverwriteFrequency;
    if (f && (this.updateCount + 1) % f === 0) this.overwriteWithAverages(this._trainableVariables);
  }

  private overwriteWithAverages(variables: Variable[]): void {
    if (variables.length !== this._averages.length) {
      throw new ValueError(
        `The length of model variables (${variables.length}) to override does not match the length of model ` +
          `variables stored in the optimizer (${this._averages.length}). Please check if the optimizer was called on your model.`,
      );
    }
    variables.forEach((v, i) => {
      v.value.assign(this._averages[i].value.clone());
    });
  }

  /**
   * Sets the final values of the model's variables at the end of training (Keras's
   * `finalize_variable_values`, called by fit): with EMA, the variables take their moving averages.
   */
  finalizeVariableValues(variables: Variable[] = this._trainableVariables): void {
    if (this.useEma) tf.tidy(() => this.overwriteWithAverages(variables));
  }

  /** Scales the loss before gradients are computed (mixed precision); `apply` unscales the gradients. */
  scaleLoss(loss: tf.Tensor): tf.Tensor {
    return this.lossScaleFactor != null ? tf.mul(loss, this.lossScaleFactor) : loss;
  }

  /**
   * Writes every optimizer variable at once, in the order of `variables` (a checkpoint's restore).
   * All shapes are checked before anything is written; the host mirrors are re-read afterwards.
   */
  setVariableValues(values: tf.Tensor[]): void {
    if (!this.built) {
      throw new ValueError(
        'You are calling `setVariableValues()` on an optimizer that has not yet been built. ' +
          'Call `optimizer.build(trainableVariables)` to create the optimizer variables first.',
      );
    }
    const vars = this._variables;
    if (values.length !== vars.length) {
      throw new ValueError(
        `Optimizer '${this.name}' has ${vars.length} variables, but ${values.length} values were given.`,
      );
    }
    values.forEach((t, i) => {
      if (!tf.util.arraysEqual(t.shape, vars[i].shape)) {
        throw new ValueError(
          `Optimizer variable '${vars[i].path}' has shape ${formatShape(vars[i].shape)} not compatible with ` +
            `provided value shape ${formatShape(t.shape)}.`,
        );
      }
    });
    tf.tidy(() => {
      values.forEach((t, i) => {
        vars[i].value.assign(t.dtype === vars[i].dtype ? t.clone() : tf.cast(t, vars[i].dtype));
      });
    });
    this.syncStep();
  }

  /** Re-reads the host mirrors (iteration count, learning rate) after state was written. Reads the device. */
  syncStep(): void {
    this._step = this.iterations.value.dataSync()[0];
    if (this._learningRateVariable != null) {
      const stored = this._learningRateVariable.value.dataSync()[0];
      // Keep the exact host number when the variable holds its float32 rounding.
      if (Math.fround(this._learningRate as number) !== stored) this._learningRate = stored;
    }
  }

  getConfig(): Record<string, unknown> {
    const lr = this._learningRate;
    let learningRate: unknown;
    if (typeof lr === 'number') learningRate = lr;
    else if (lr instanceof LearningRateSchedule) learningRate = serializeKerasObject('schedule', lr);
    else {
      throw new ValueError(
        `Optimizer '${this.name}' has a learning rate given as a plain function, which cannot be serialized. ` +
          "Use a LearningRateSchedule subclass registered with register('schedule', ...) instead.",
      );
    }
    return {
      name: this.name,
      learningRate,
      weightDecay: this.weightDecay,
      clipnorm: this.clipnorm,
      globalClipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
      useEma: this.useEma,
      emaMomentum: this.emaMomentum,
      emaOverwriteFrequency: this.emaOverwriteFrequency,
      lossScaleFactor: this.lossScaleFactor,
      gradientAccumulationSteps: this.gradientAccumulationSteps,
    };
  }

  /** Rebuilds an optimizer from `getConfig()` (a serialized schedule as `learningRate` is rebuilt too). */
  static fromConfig<T extends Optimizer>(this: new (args: any) => T, config: Record<string, any>): T {
    // A file may carry config keys of a newer Keras that Strata does not take; loading tolerates them.
    return withoutArgumentCheck(() => new this(config));
  }

  dispose(): void {
    for (const v of this._variables) v.dispose();
    for (const t of this._constants.values()) t.dispose();
    this._constants.clear();
  }
}
