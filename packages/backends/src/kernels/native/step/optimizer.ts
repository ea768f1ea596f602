/**
 * The optimizer update of a compiled training step (issue 20): Keras 3's update rules of Adam, AdamW,
 * SGD, RMSprop, Adagrad, Adamax, Lion, Adadelta and Nadam, with what `Optimizer.apply` does around them
 * (loss-scale division, gradient accumulation and clipping, weight decay, EMA), emitted into the step's
 * ONNX graph on the optimizer's own slot variables, so that compiled and uncompiled steps can alternate
 * on one optimizer. Adam, AdamW, SGD and RMSprop without EMA or gradient accumulation run their rule on
 * the host instead, in place, after the graph computed the gradients (`onHost`).
 */
import { type Optimizer, registry, ValueError, type Variable } from '@strata/core';
import type { OnnxGraph } from '@strata/onnx/graph';
import * as tf from '@tensorflow/tfjs-core';

import type { UpdateKernels, UpdatePointers } from './resident.js';

/**
 * The update of a compiled step. Each run, the compiler:
 * 1. feeds `scalars()`, computed just before the run, as float32 scalar graph inputs of those names;
 * 2. feeds the weights, their gradients and `stateVariables`' values as the graph values it passed to
 *    `emit` (weights and gradients in the order of the variables given to `stepOptimizer`);
 * 3. after the run, assigns `newWeights` to those variables and `newState` to `stateVariables`, then
 *    calls `finishStep()`: it counts the iteration as `Optimizer.apply` does (`optimizer.iterations` on
 *    the device and its host mirror, which the next `scalars()` and learning-rate schedules read).
 */
export interface StepOptimizer {
  /** The optimizer's slot variables the update reads and writes, in the order of `state`/`newState`. */
  readonly stateVariables: readonly Variable[];
  /** The per-step values (the learning rate at the current iteration, Adam's step size), by input name. */
  scalars(): Record<string, number>;
  /**
   * Emits the update: `weights`, `grads` (one per variable) and `state` (one per state variable) are
   * graph value names; returns the names of the updated weights and state, in the same orders.
   */
  emit(
    g: OnnxGraph,
    weights: readonly string[],
    grads: readonly string[],
    state: readonly string[],
  ): { newWeights: string[]; newState: string[] };
  /** Counts the step, after its results were assigned (see the interface's description). */
  finishStep(): void;
  /**
   * Whether the update runs on the host, in place, instead of in the graph: then the compiler calls
   * `emitGradients` instead of `emit`, outputs the gradients it returns, and after the run calls
   * `applyOnHost` (before `finishStep`). Adam, AdamW, SGD and RMSprop without a moving average or gradient
   * accumulation.
   */
  readonly onHost: boolean;
  /** Each variable's slots, in its rule's order (what `applyOnHost` updates with it). */
  readonly slotsOf: readonly (readonly Variable[])[];
  /** Emits the gradients as the update takes them (loss-scale division, then clipping). */
  emitGradients(g: OnnxGraph, grads: readonly string[]): string[];
  /** Applies the update on the host: variable `i`'s arrays are where `pointers(i)` says. */
  applyOnHost(kernels: UpdateKernels, pointers: (i: number) => UpdatePointers): void;
}

/** The update rule of one optimizer class, given the slot values of one weight. */
interface Rule {
  /** Slot names, as the optimizer's `build` names them (`<variable path>_<slot>`). */
  readonly slots: readonly string[];
  scalars(optimizer: Optimizer, learningRate: number): Record<string, number>;
  /** Returns the new weight, then the new slots in `slots` order. */
  update(e: UpdateEmitter, w: string, grad: string, slots: readonly string[]): [string, ...string[]];
  /** Updates the optimizer's own per-step state (not per weight), before the iteration is counted. */
  finish?(optimizer: Optimizer): void;
  /**
   * The same update on the host (csrc/strata-update.c), in the same float32 operations: `scalars` are this
   * step's, `decay` the weight-decay factor (1 when the variable does not decay).
   */
  host?(k: UpdateKernels, p: UpdatePointers, scalars: Record<string, number>, decay: number): void;
}

/** ONNX's element type of booleans (`TensorProto.BOOL`), the `to` of a Cast. */
const BOOL = 9;

/** The names of the per-step scalar inputs. */
const LEARNING_RATE = 'optimizer/learning_rate';
const ADAM_STEP = 'optimizer/adam_step_size';
const ADAMAX_STEP = 'optimizer/adamax_step_size';
const NADAM_M = 'optimizer/nadam_momentum_factor';
const NADAM_G = 'optimizer/nadam_gradient_factor';
const NADAM_V = 'optimizer/nadam_velocity_factor';
const DECAY_FACTOR = 'optimizer/weight_decay_factor';
const EMA_KEEP = 'optimizer/ema_keep';
const EMA_TAKE = 'optimizer/ema_take';
const EMA_OVERWRITE = 'optimizer/ema_overwrite';
const ACCUMULATION_APPLY = 'optimizer/accumulation_apply';

/** An optimizer with the numeric hyperparameters `K` (the built-in classes declare them). */
type With<K extends string> = Optimizer & Readonly<Record<K, number>>;
type AdamLike = With<'beta1' | 'beta2' | 'epsilon'> & { readonly amsgrad: boolean };
type SGDLike = With<'momentum'> & { readonly nesterov: boolean };
type RMSpropLike = With<'rho' | 'momentum' | 'epsilon'> & { readonly centered: boolean };

/** Adam's (and Nadam's) moments: `m += (g - m) * (1 - beta1)`, `v += (g^2 - v) * (1 - beta2)`. */
function moments(
  e: UpdateEmitter,
  opt: With<'beta1' | 'beta2'>,
  grad: string,
  m: string,
  v: string,
): [string, string] {
  const mNew = e.op('Add', m, e.op('Mul', e.op('Sub', grad, m), e.constant(1 - opt.beta1)));
  const gg = e.op('Mul', grad, grad);
  return [mNew, e.op('Add', v, e.op('Mul', e.op('Sub', gg, v), e.constant(1 - opt.beta2)))];
}

/**
 * Keras 3's Adam: `m += (g - m) * (1 - beta1)`, `v += (g^2 - v) * (1 - beta2)`,
 * `w -= alpha * m / (sqrt(v) + epsilon)` with `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`; AMSGrad
 * divides by the running maximum of `v` instead.
 *
 * Twelve element-wise ops per weight, in the float32 order of the optimizer's own kernels (no ONNX op
 * computes more than one arithmetic step of the rule). ONNX Runtime runs each as its own pass over
 * the weight and does not fuse them: for a 784x512 weight, one `Add` takes 0.23 ms and the update
 * 1.9 ms (1 thread, fastest of 400 runs, 2 shared cores at load ~10); splitting the weight into 8 or 32
 * chunks to stay in cache was slower (the `Split`/`Concat` copies cost more than they save). So the
 * compiled step runs the rule on the host (`host`, csrc/strata-update.c): one fused f32x4 pass per weight,
 * in place on the step's resident arrays (step/resident.ts), which also spares ONNX Runtime's binding
 * copying the new weight and both moments out every step (bench/README.md, "Native backend").
 */
function adamRule(opt: AdamLike): Rule {
  return {
    slots: opt.amsgrad ? ['momentum', 'velocity', 'velocity_hat'] : ['momentum', 'velocity'],
    scalars: (o, lr) => {
      const t = o.updateCount + 1;
      return { [ADAM_STEP]: (lr * Math.sqrt(1 - opt.beta2 ** t)) / (1 - opt.beta1 ** t) };
    },
    update: (e, w, grad, [m, v, vHat]) => {
      const [mNew, vNew] = moments(e, opt, grad, m, v);
      const vUsed = vHat === undefined ? vNew : e.op('Max', vHat, vNew);
      const denominator = e.op('Add', e.op('Sqrt', vUsed), e.constant(opt.epsilon));
      const wNew = e.op('Sub', w, e.op('Div', e.op('Mul', mNew, ADAM_STEP), denominator));
      return vHat === undefined ? [wNew, mNew, vNew] : [wNew, mNew, vNew, vUsed];
    },
    host: (k, { w, slots: [m, v, vHat], g, n }, s, decay) => {
      const [b1, b2] = [1 - opt.beta1, 1 - opt.beta2];
      if (vHat === undefined) k.adam(w, m, v, g, n, s[ADAM_STEP], b1, b2, opt.epsilon, decay);
      else k.adam_amsgrad(w, m, v, vHat, g, n, s[ADAM_STEP], b1, b2, opt.epsilon, decay);
    },
  };
}

/**
 * Keras 3's SGD: `w -= lr * g`; with momentum `velocity = momentum * velocity - lr * g`, then
 * `w += velocity` (Nesterov: `w += momentum * velocity - lr * g`).
 */
function sgdRule(opt: SGDLike): Rule {
  return {
    slots: opt.momentum !== 0 ? ['momentum'] : [],
    scalars: (_, lr) => ({ [LEARNING_RATE]: lr }),
    update: (e, w, grad, [m]) => {
      const lrGrad = e.op('Mul', grad, LEARNING_RATE);
      if (m === undefined) return [e.op('Sub', w, lrGrad)];
      const momentum = e.constant(opt.momentum);
      const velocity = e.op('Sub', e.op('Mul', m, momentum), lrGrad);
      const delta = opt.nesterov ? e.op('Sub', e.op('Mul', velocity, momentum), lrGrad) : velocity;
      return [e.op('Add', w, delta), velocity];
    },
    host: (k, { w, slots: [m], g, n }, s, decay) => {
      const lr = s[LEARNING_RATE];
      if (m === undefined) k.sgd(w, g, n, lr, decay);
      else k.sgd_momentum(w, m, g, n, lr, opt.momentum, opt.nesterov ? 1 : 0, decay);
    },
  };
}

/**
 * Keras 3's RMSprop: `v = rho * v + (1 - rho) * g^2`, `w -= lr * g / sqrt(v + epsilon)` (centered: the
 * mean square less the squared mean gradient; with momentum through a momentum slot).
 */
function rmspropRule(opt: RMSpropLike): Rule {
  const slots = ['velocity'];
  if (opt.momentum > 0) slots.push('momentum');
  if (opt.centered) slots.push('average_gradient');
  return {
    slots,
    scalars: (_, lr) => ({ [LEARNING_RATE]: lr }),
    update: (e, w, grad, state) => {
      const [velocity, momentum, average] = opt.momentum > 0 ? state : [state[0], undefined, state[1]];
      const rho = e.constant(opt.rho);
      const oneMinusRho = e.constant(1 - opt.rho);
      const vNew = e.op('Add', e.op('Mul', velocity, rho), e.op('Mul', e.op('Mul', grad, grad), oneMinusRho));
      const newState = [vNew];
      let meanSquare = vNew;
      if (average !== undefined) {
        const avgNew = e.op('Add', e.op('Mul', average, rho), e.op('Mul', grad, oneMinusRho));
        meanSquare = e.op('Sub', vNew, e.op('Mul', avgNew, avgNew));
        newState.push(avgNew);
      }
      const denominator = e.op('Sqrt', e.op('Add', meanSquare, e.constant(opt.epsilon)));
      const increment = e.op('Div', e.op('Mul', grad, LEARNING_RATE), denominator);
      if (momentum === undefined) return [e.op('Sub', w, increment), ...newState];
      const mNew = e.op('Add', e.op('Mul', momentum, e.constant(opt.momentum)), increment);
      // The slots in `slots` order: velocity, momentum, average_gradient.
      return [e.op('Sub', w, mNew), vNew, mNew, ...newState.slice(1)];
    },
    host: (k, { w, slots, g, n }, s, decay) => {
      const [v, momentum, average] = opt.momentum > 0 ? slots : [slots[0], 0, slots[1]];
      // Offset 0 (the stack, never an array) stands for an absent slot.
      k.rmsprop(
        w,
        v,
        momentum,
        average ?? 0,
        g,
        n,
        s[LEARNING_RATE],
        opt.rho,
        1 - opt.rho,
        opt.epsilon,
        opt.momentum,
        decay,
      );
    },
  };
}

/** Keras 3's Adagrad: `acc += g^2`, `w -= lr * g / sqrt(acc + epsilon)`. */
function adagradRule(opt: With<'epsilon'>): Rule {
  return {
    slots: ['accumulator'],
    scalars: (_, lr) => ({ [LEARNING_RATE]: lr }),
    update: (e, w, grad, [acc]) => {
      const accNew = e.op('Add', acc, e.op('Mul', grad, grad));
      const denominator = e.op('Sqrt', e.op('Add', accNew, e.constant(opt.epsilon)));
      return [e.op('Sub', w, e.op('Div', e.op('Mul', grad, LEARNING_RATE), denominator)), accNew];
    },
  };
}

/**
 * Keras 3's Adamax: `m += (g - m) * (1 - beta1)`, `u = max(beta2 * u, |g|)`,
 * `w -= lr / (1 - beta1^t) * m / (u + epsilon)`.
 */
function adamaxRule(opt: With<'beta1' | 'beta2' | 'epsilon'>): Rule {
  return {
    slots: ['momentum', 'norm'],
    scalars: (o, lr) => ({ [ADAMAX_STEP]: lr / (1 - opt.beta1 ** (o.updateCount + 1)) }),
    update: (e, w, grad, [m, u]) => {
      const mNew = e.op('Add', m, e.op('Mul', e.op('Sub', grad, m), e.constant(1 - opt.beta1)));
      const uNew = e.op('Max', e.op('Mul', u, e.constant(opt.beta2)), e.op('Abs', grad));
      const denominator = e.op('Add', uNew, e.constant(opt.epsilon));
      return [e.op('Sub', w, e.op('Div', e.op('Mul', mNew, ADAMAX_STEP), denominator)), mNew, uNew];
    },
  };
}

/**
 * Keras 3's Lion: `w -= lr * sign(beta1 * m + (1 - beta1) * g)`, then
 * `m = beta2 * m + (1 - beta2) * g`.
 */
function lionRule(opt: With<'beta1' | 'beta2'>): Rule {
  return {
    slots: ['momentum'],
    scalars: (_, lr) => ({ [LEARNING_RATE]: lr }),
    update: (e, w, grad, [m]) => {
      const mix = (beta: number) =>
        e.op('Add', e.op('Mul', m, e.constant(beta)), e.op('Mul', grad, e.constant(1 - beta)));
      const direction = e.op('Sign', mix(opt.beta1));
      return [e.op('Sub', w, e.op('Mul', direction, LEARNING_RATE)), mix(opt.beta2)];
    },
  };
}

/**
 * Keras 3's Adadelta: `accGrad = rho * accGrad + (1 - rho) * g^2`,
 * `descent = sqrt(accDelta + epsilon) * g / sqrt(accGrad + epsilon)`,
 * `accDelta = rho * accDelta + (1 - rho) * descent^2`, `w -= lr * descent`.
 */
function adadeltaRule(opt: With<'rho' | 'epsilon'>): Rule {
  return {
    slots: ['accumulated_grad', 'accumulated_delta_var'],
    scalars: (_, lr) => ({ [LEARNING_RATE]: lr }),
    update: (e, w, grad, [accGrad, accDelta]) => {
      const rho = e.constant(opt.rho);
      const oneMinusRho = e.constant(1 - opt.rho);
      const eps = e.constant(opt.epsilon);
      const mean = (acc: string, x: string) =>
        e.op('Add', e.op('Mul', acc, rho), e.op('Mul', e.op('Mul', x, x), oneMinusRho));
      const accGradNew = mean(accGrad, grad);
      const descent = e.op(
        'Div',
        e.op('Mul', e.op('Sqrt', e.op('Add', accDelta, eps)), grad),
        e.op('Sqrt', e.op('Add', accGradNew, eps)),
      );
      const wNew = e.op('Sub', w, e.op('Mul', descent, LEARNING_RATE));
      return [wNew, accGradNew, mean(accDelta, descent)];
    },
  };
}

/**
 * Keras 3's Nadam: Adam's moments, with the momentum schedule `u_t = beta1 * (1 - 0.5 * 0.96^t)` and
 * its running product folded into two per-step factors: `w -= (a * m + b * g) / (sqrt(c * v) + epsilon)`.
 * The product is the optimizer's `u_product` variable (and its host mirror), advanced once per step.
 */
function nadamRule(opt: With<'beta1' | 'beta2' | 'epsilon'>): Rule {
  const muAt = (t: number) => opt.beta1 * (1 - 0.5 * 0.96 ** t);
  // The product after this step, as Nadam's `updateAll` computes it from its (private) host mirror, kept
  // in float64 there; reading the variable would round it to float32.
  const nextProduct = (o: Optimizer) =>
    (o as unknown as { _uProduct: number })._uProduct * muAt(o.updateCount + 1);
  return {
    slots: ['momentum', 'velocity'],
    scalars: (o, lr) => {
      const t = o.updateCount + 1;
      const product = nextProduct(o);
      const uNext = muAt(t + 1);
      return {
        [NADAM_M]: (lr * uNext) / (1 - product * uNext),
        [NADAM_G]: (lr * (1 - muAt(t))) / (1 - product),
        [NADAM_V]: 1 / (1 - opt.beta2 ** t),
      };
    },
    update: (e, w, grad, [m, v]) => {
      const [mNew, vNew] = moments(e, opt, grad, m, v);
      const lrMHat = e.op('Add', e.op('Mul', mNew, NADAM_M), e.op('Mul', grad, NADAM_G));
      const denominator = e.op('Add', e.op('Sqrt', e.op('Mul', vNew, NADAM_V)), e.constant(opt.epsilon));
      return [e.op('Sub', w, e.op('Div', lrMHat, denominator)), mNew, vNew];
    },
    finish: (o) => {
      const product = nextProduct(o);
      const variable = o.variables.find((v) => v.name === 'u_product');
      if (!variable) throw new ValueError(`Optimizer '${o.name}' has no u_product variable.`);
      const value = tf.scalar(product, variable.dtype);
      variable.value.assign(value);
      value.dispose();
      // `syncStep`, after the count, reads the mirror back from the variable.
    },
  };
}

/** The rule of each supported optimizer, by its registered key. */
const RULES: Record<string, (opt: never) => Rule> = {
  Adam: adamRule,
  AdamW: adamRule,
  SGD: sgdRule,
  RMSprop: rmspropRule,
  Adagrad: adagradRule,
  Adamax: adamaxRule,
  Lion: lionRule,
  Adadelta: adadeltaRule,
  Nadam: nadamRule,
};

/** The gradients divided by `lossScaleFactor`, where set, as `apply` begins. */
function unscaleGradients(e: UpdateEmitter, optimizer: Optimizer, grads: readonly string[]): string[] {
  const scale = optimizer.lossScaleFactor;
  return scale == null ? grads.slice() : grads.map((g) => e.op('Div', g, e.constant(scale)));
}

/**
 * The gradients clipped as `apply` clips them before the update: by `clipnorm` (each gradient to that
 * norm), `globalClipnorm` (all of them together) or `clipvalue` (elementwise), in the optimizer's own
 * float32 operations.
 */
function clipGradients(e: UpdateEmitter, optimizer: Optimizer, gs: readonly string[]): string[] {
  const squaredNorm = (g: string) => e.sum(e.op('Mul', g, g));
  const { clipnorm, globalClipnorm, clipvalue } = optimizer;
  if (clipnorm != null && clipnorm > 0) {
    const c = e.constant(clipnorm);
    // g * c / max(||g||, c)
    return gs.map((g) => e.op('Mul', g, e.op('Div', c, e.op('Max', e.op('Sqrt', squaredNorm(g)), c))));
  }
  if (globalClipnorm != null && globalClipnorm > 0) {
    const norm = e.op('Sqrt', e.opN('Sum', gs.map(squaredNorm)));
    // min(1 / norm, 1 / c) * c, plus `norm - norm`, which makes it NaN for a non-finite norm.
    const limited = e.op(
      'Mul',
      e.op('Min', e.op('Reciprocal', norm), e.constant(1 / globalClipnorm)),
      e.constant(globalClipnorm),
    );
    const factor = e.op('Add', limited, e.op('Sub', norm, norm));
    return gs.map((g) => e.op('Mul', g, factor));
  }
  if (clipvalue != null && clipvalue > 0) {
    return gs.map((g) => e.opN('Clip', [g, e.constant(-clipvalue), e.constant(clipvalue)]));
  }
  return gs.slice();
}

/**
 * The compiled update of `optimizer` for `variables` (the model's trainable variables), or why it cannot
 * be compiled (the step then runs uncompiled). Builds the optimizer for `variables` when it is not built
 * yet, as its first `apply` would, so that its slots carry over between compiled and uncompiled steps.
 *
 * Supported: the built-in Adam (with AMSGrad), AdamW, SGD (with momentum and Nesterov), RMSprop (with
 * momentum, centered), Adagrad, Adamax, Lion, Adadelta and Nadam, with any learning rate or
 * schedule, weight decay, gradient clipping, loss scaling, the moving average of the weights (EMA) and
 * gradient accumulation; not variables with a constraint or of another dtype than float32. `hostUpdate`
 * false keeps every update in the graph (`onHost` false; for comparisons).
 */
export function stepOptimizer(
  optimizer: Optimizer,
  variables: readonly Variable[],
  hostUpdate = true,
): StepOptimizer | string {
  const entry = registry.entryOf('optimizer', optimizer.constructor);
  const makeRule = entry?.builtin ? RULES[entry.key] : undefined;
  if (!makeRule) return `the optimizer ${optimizer.getClassName()} is not one the compiled step supports`;
  for (const v of variables) {
    if (v.constraint) return `the variable '${v.path}' has a constraint`;
    if (v.dtype !== 'float32') return `the variable '${v.path}' is ${v.dtype}, not float32`;
  }
  if (optimizer.built) {
    // `apply` refuses variables the optimizer was not built with; so does the compiled step.
    const known = (optimizer as unknown as { _trainableVariables: readonly Variable[] })._trainableVariables;
    const unknown = variables.find((v) => !known.includes(v));
    if (unknown) return `the optimizer was built without the variable '${unknown.path}'`;
    // The moving average and the gradient accumulators cover every variable the optimizer was built with.
    if ((optimizer.useEma || optimizer.gradientAccumulationSteps) && known.length !== variables.length)
      return `the optimizer keeps averages or accumulators of ${known.length} variables, the step updates ${variables.length}`;
  }
  const rule = makeRule(optimizer as never);
  if (!optimizer.built) optimizer.build(variables.slice());

  const byName = new Map<string, Variable | null>();
  for (const v of optimizer.variables) byName.set(v.name, byName.has(v.name) ? null : v);
  // Then the slots the base class creates: the moving average, the gradient accumulator.
  const slotNames = [
    ...rule.slots,
    ...(optimizer.useEma ? ['average'] : []),
    ...(optimizer.gradientAccumulationSteps ? ['gradient_accumulator'] : []),
  ];
  const slots: Variable[][] = [];
  for (const v of variables) {
    const own: Variable[] = [];
    for (const slot of slotNames) {
      const name = `${v.path.replace(/\//g, '_')}_${slot}`;
      const found = byName.get(name);
      if (!found) return `the optimizer has ${found === null ? 'two slots' : 'no slot'} named '${name}'`;
      own.push(found);
    }
    slots.push(own);
  }
  // Which variables decay is fixed once the optimizer is built (`excludeFromWeightDecay` comes before).
  const decayed = variables.map(
    (v) =>
      !!optimizer.weightDecay &&
      (optimizer as unknown as { usesWeightDecay(v: Variable): boolean }).usesWeightDecay(v),
  );
  const onHost = hostUpdate && !!rule.host && !optimizer.useEma && !optimizer.gradientAccumulationSteps;
  return new CompiledUpdate(optimizer, rule, slots, decayed, onHost);
}

class CompiledUpdate implements StepOptimizer {
  readonly stateVariables: readonly Variable[];

  constructor(
    private readonly optimizer: Optimizer,
    private readonly rule: Rule,
    /** Each variable's slots in `rule.slots` order, then its moving average and gradient accumulator. */
    private readonly slots: Variable[][],
    /** Whether each variable takes weight decay. */
    private readonly decayed: boolean[],
    readonly onHost: boolean,
  ) {
    this.stateVariables = slots.flat();
  }

  get slotsOf(): readonly (readonly Variable[])[] {
    return this.slots;
  }

  scalars(): Record<string, number> {
    // As `apply`: the rate at the current iteration, in float32.
    const lr = Math.fround(this.optimizer.learningRate);
    const scalars = this.rule.scalars(this.optimizer, lr);
    // Decoupled weight decay, before the update: `w <- w * (1 - weight_decay * learning_rate)`.
    if (this.decayed.includes(true)) scalars[DECAY_FACTOR] = 1 - (this.optimizer.weightDecay ?? 0) * lr;
    const { useEma, emaMomentum, emaOverwriteFrequency: every, updateCount } = this.optimizer;
    if (useEma) {
      // The average starts at the weights (momentum 0 on the first update).
      const momentum = updateCount !== 0 ? emaMomentum : 0;
      scalars[EMA_KEEP] = momentum;
      scalars[EMA_TAKE] = 1 - momentum;
      if (every) scalars[EMA_OVERWRITE] = (updateCount + 1) % every === 0 ? 1 : 0;
    }
    if (this.optimizer.gradientAccumulationSteps) scalars[ACCUMULATION_APPLY] = this.applying() ? 1 : 0;
    return scalars;
  }

  /** Whether this step updates the weights (always, but under gradient accumulation). */
  private applying(): boolean {
    const steps = this.optimizer.gradientAccumulationSteps;
    return !steps || (this.optimizer.step + 1) % steps === 0;
  }

  emit(
    g: OnnxGraph,
    weights: readonly string[],
    grads: readonly string[],
    state: readonly string[],
  ): { newWeights: string[]; newState: string[] } {
    const n = this.slots.length;
    const perWeight = this.slots[0]?.length ?? 0;
    if (weights.length !== n || grads.length !== n || state.length !== n * perWeight) {
      throw new ValueError(
        `The compiled update expects ${n} weights, ${n} gradients and ${n * perWeight} state values. ` +
          `Received: ${weights.length}, ${grads.length} and ${state.length}`,
      );
    }
    const e = new UpdateEmitter(g);
    const newWeights: string[] = [];
    const newState: string[] = [];
    const scope = g.scope;
    g.scope = 'optimizer';
    try {
      const opt = this.optimizer;
      const own = (i: number) => state.slice(i * perWeight, (i + 1) * perWeight);
      const ruleSlots = this.rule.slots.length;
      const unscaled = unscaleGradients(e, opt, grads);
      // Under gradient accumulation both branches are emitted, and a per-step flag picks one: the
      // update with the mean of the accumulated gradients, or adding the gradients to the accumulators.
      const steps = opt.gradientAccumulationSteps;
      const applying = steps ? e.flag(ACCUMULATION_APPLY) : null;
      const accumulators = weights.map((_, i) => own(i)[perWeight - 1]);
      const averaged = steps
        ? unscaled.map((gr, i) => e.op('Div', e.op('Add', gr, accumulators[i]), e.constant(steps)))
        : unscaled;
      const gradients = clipGradients(e, opt, averaged);
      const overwrite = opt.useEma && opt.emaOverwriteFrequency ? e.flag(EMA_OVERWRITE) : null;
      weights.forEach((weight, i) => {
        const slots = own(i).slice(0, ruleSlots);
        const w = this.decayed[i] ? e.op('Mul', weight, DECAY_FACTOR) : weight;
        let [wNew, ...slotsNew] = this.rule.update(e, w, gradients[i], slots);
        if (applying) {
          wNew = e.opN('Where', [applying, wNew, weight]);
          slotsNew = slotsNew.map((slot, k) => e.opN('Where', [applying, slot, slots[k]]));
        }
        newState.push(...slotsNew);
        if (opt.useEma) {
          // After the update: average = average * keep + w * take; every `emaOverwriteFrequency`
          // updates the weights take their averages.
          const average = own(i)[ruleSlots];
          const averageNew = e.op('Add', e.op('Mul', average, EMA_KEEP), e.op('Mul', wNew, EMA_TAKE));
          if (overwrite) wNew = e.opN('Where', [overwrite, averageNew, wNew]);
          newState.push(averageNew);
        }
        if (applying) {
          const sum = e.op('Add', accumulators[i], unscaled[i]);
          newState.push(e.opN('Where', [applying, e.constant(0), sum]));
        }
        newWeights.push(wNew);
      });
    } finally {
      g.scope = scope;
    }
    return { newWeights, newState };
  }

  emitGradients(g: OnnxGraph, grads: readonly string[]): string[] {
    const scope = g.scope;
    g.scope = 'optimizer';
    try {
      const e = new UpdateEmitter(g);
      return clipGradients(e, this.optimizer, unscaleGradients(e, this.optimizer, grads));
    } finally {
      g.scope = scope;
    }
  }

  applyOnHost(kernels: UpdateKernels, pointers: (i: number) => UpdatePointers): void {
    const scalars = this.scalars();
    const decay = scalars[DECAY_FACTOR];
    for (let i = 0; i < this.slots.length; i++)
      this.rule.host!(kernels, pointers(i), scalars, this.decayed[i] ? decay : 1);
  }

  finishStep(): void {
    if (this.applying()) this.rule.finish?.(this.optimizer);
    const next = tf.scalar(this.optimizer.step + 1, 'int32');
    this.optimizer.iterations.value.assign(next);
    next.dispose();
    this.optimizer.syncStep();
  }
}

/** Emits update ops; float32 constants are made once per graph and value. */
class UpdateEmitter {
  private readonly constants = new Map<number, string>();

  constructor(private readonly g: OnnxGraph) {}

  op(opType: string, a: string, b?: string): string {
    return this.g.op1(opType, b === undefined ? [a] : [a, b]);
  }

  opN(opType: string, inputs: string[]): string {
    return this.g.op1(opType, inputs);
  }

  /** A float32 scalar input (1 or 0) as a boolean. */
  flag(name: string): string {
    return this.g.op1('Cast', [name], { to: BOOL });
  }

  /** The sum of all elements, a scalar. */
  sum(x: string): string {
    // ReduceSum with no axes reduces them all.
    return this.g.op1('ReduceSum', [x], { keepdims: 0 });
  }

  constant(value: number): string {
    let name = this.constants.get(value);
    if (name === undefined) {
      name = this.g.floats('constant', [value], []);
      this.constants.set(value, name);
    }
    return name;
  }
}
