/**
 * The loss of a compiled training step (issue 20): the batch loss and its gradient with respect to the
 * predictions, emitted into the step's ONNX graph with the same float32 operations Strata's losses run,
 * and their gradients written out as `tf.grad` takes them (the clip of probabilities passes no gradient
 * outside `[epsilon, 1 - epsilon]`; `|x|`'s gradient at 0 is tfjs's).
 *
 * Supported: the built-in `SparseCategoricalCrossentropy` (also with `ignoreClass`),
 * `CategoricalCrossentropy`, `BinaryCrossentropy` (each from probabilities or logits, with label
 * smoothing where the loss has it, over the last axis), `MeanSquaredError`, `MeanAbsoluteError`, `Huber`,
 * `LogCosh`, `Poisson` and `KLDivergence`, with the reductions `'sum_over_batch_size'` (Keras's
 * default), `'mean'` and `'sum'`, and no sample weights.
 * Anything else is refused with the reason, and the step runs uncompiled.
 */
import { formatShape, type Loss, registry } from '@strata/core';
import type { OnnxGraph } from '@strata/onnx/graph';

/** Keras's `backend.epsilon()`, the margin probabilities are clipped to (losses-metrics' `EPSILON`). */
const EPSILON = 1e-7;
/** ONNX's element type of float32 tensors (`TensorProto.FLOAT`), the `to` of a Cast. */
const FLOAT = 1;

/** The graph values of the loss. */
interface LossAndGradient {
  /** The batch loss: a float32 scalar, as `model.computeLoss` gives it. */
  loss: string;
  /** The loss's gradient with respect to the predictions, shaped like them. */
  dPred: string;
}

/** What `emitLoss` adds to the graph. */
export interface StepLossValues extends LossAndGradient {
  /**
   * Present for sparse losses: whether a batch's class ids (`yTrue`'s values, read on the host) are
   * integers in `[0, numClasses)` (or the ignored class). When false, run that batch uncompiled: the
   * loss then raises its own error, before any weight moves, as it does on every host-memory backend.
   */
  targetsValid?: (values: ArrayLike<number>) => boolean;
}

type RegressionKind = 'mse' | 'mae' | 'huber' | 'logcosh';
type LossKind = 'sparse' | 'categorical' | 'binary' | 'poisson' | 'kld' | RegressionKind;

/** A loss's elementwise values and their gradient with respect to the predictions. */
interface ElementwiseTerms {
  value: string;
  gradient: string;
}

/** The built-in losses by their registered key. */
const KINDS: Record<string, LossKind> = {
  SparseCategoricalCrossentropy: 'sparse',
  CategoricalCrossentropy: 'categorical',
  BinaryCrossentropy: 'binary',
  MeanSquaredError: 'mse',
  MeanAbsoluteError: 'mae',
  Huber: 'huber',
  LogCosh: 'logcosh',
  Poisson: 'poisson',
  KLDivergence: 'kld',
};

/** Reductions that, without sample weights, divide the sum by the number of per-sample values. */
const MEAN_REDUCTIONS = new Set(['sum_over_batch_size', 'mean']);

interface LossSpec {
  kind: LossKind;
  fromLogits: boolean;
  labelSmoothing: number;
  ignoreClass: number | null;
  /** Huber's threshold. */
  delta: number;
  /** Whether the sum is divided by the number of per-sample values (else the reduction is 'sum'). */
  mean: boolean;
}

function lossSpec(loss: Loss): LossSpec | string {
  const entry = registry.entryOf('loss', loss.constructor);
  const kind = entry?.builtin ? KINDS[entry.key] : undefined;
  if (!kind) return `the loss ${loss.getClassName()} is not one the compiled step supports`;
  const config = loss.getConfig() as {
    reduction: string;
    fromLogits?: boolean;
    labelSmoothing?: number;
    axis?: number;
    ignoreClass?: number | null;
    delta?: number;
  };
  if (!MEAN_REDUCTIONS.has(config.reduction) && config.reduction !== 'sum') {
    return `the loss's reduction '${config.reduction}' is not compiled`;
  }
  if (loss.dtype !== 'float32') return `the loss computes in ${loss.dtype}, not float32`;
  if (config.axis != null && config.axis !== -1) return `the loss's axis is ${config.axis}, not -1`;
  const ignoreClass = config.ignoreClass ?? null;
  if (ignoreClass !== null && config.reduction !== 'sum_over_batch_size') {
    return `ignoreClass with the reduction '${config.reduction}' is not compiled`;
  }
  return {
    kind,
    fromLogits: config.fromLogits ?? false,
    labelSmoothing: config.labelSmoothing ?? 0,
    ignoreClass,
    delta: config.delta ?? 1,
    mean: MEAN_REDUCTIONS.has(config.reduction),
  };
}

/**
 * Whether targets shaped `trueShape` fit predictions shaped `predShape` as the loss reads them
 * (Keras's `squeeze_or_expand_to_same_rank`, then the sparse losses' trailing axis of 1).
 */
function targetsFit(kind: LossKind, trueShape: readonly number[], predShape: readonly number[]): boolean {
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  if (kind === 'sparse') {
    const ids = predShape.slice(0, -1);
    return same(trueShape, ids) || same(trueShape, [...ids, 1]);
  }
  return (
    same(trueShape, predShape) || same(trueShape, [...predShape, 1]) || same([...trueShape, 1], predShape)
  );
}

/**
 * Emits the loss of one batch and its gradient into `g`.
 *
 * @param loss the model's one compiled loss. Loss weights, several outputs, sample weights and losses
 *   of the model's own (regularizers, `addLoss`) are the compiler's to refuse.
 * @param yPred the predictions' value name: float32, shaped `predShape` (batch first, classes last).
 * @param yTrue the targets' value name, as the batch gives them: float32, int32, int64 or bool (cast to
 *   float32 in the graph); class ids for the sparse loss, shaped like the predictions otherwise (a
 *   trailing axis of 1 on either side is reconciled, as Keras does).
 * @param trueShape the targets' shape; when given and not one the loss accepts, the loss is refused (the
 *   uncompiled step then raises the loss's own error).
 * @returns the value names, or why the loss cannot be compiled; nothing is emitted then.
 */
export function emitLoss(
  g: OnnxGraph,
  loss: Loss,
  yPred: string,
  yTrue: string,
  predShape: readonly number[],
  trueShape?: readonly number[],
): StepLossValues | string {
  const spec = lossSpec(loss);
  if (typeof spec === 'string') return spec;
  if (predShape.length < 1) return `predictions of shape ${formatShape(predShape)} have no class axis`;
  if (trueShape && !targetsFit(spec.kind, trueShape, predShape)) {
    return `targets of shape ${formatShape(trueShape)} do not fit predictions of shape ${formatShape(predShape)}`;
  }
  const numClasses = predShape[predShape.length - 1];
  // The number of per-sample values (every loss here reduces the last axis): the mean's divisor.
  const rows = predShape.slice(0, -1).reduce((p, d) => p * d, 1);
  const scope = g.scope;
  g.scope = 'loss';
  try {
    const emitted = emitSpec(new LossEmitter(g, predShape, spec.mean ? rows : 1), spec, yPred, yTrue);
    if (spec.kind !== 'sparse') return emitted;
    return { ...emitted, targetsValid: (values) => classIdsValid(values, numClasses, spec.ignoreClass) };
  } finally {
    g.scope = scope;
  }
}

function emitSpec(emit: LossEmitter, spec: LossSpec, yPred: string, yTrue: string): LossAndGradient {
  if (spec.kind === 'sparse') {
    return emit.crossentropy(yPred, emit.sparseTargets(yTrue, spec.ignoreClass), spec.fromLogits);
  }
  const yt = emit.targets(yTrue);
  const s = spec.labelSmoothing;
  switch (spec.kind) {
    case 'categorical':
      return emit.crossentropy(yPred, s ? emit.affine(yt, 1 - s, s / emit.classes) : yt, spec.fromLogits);
    case 'binary':
      return emit.elementwise(
        emit.binaryCrossentropy(yPred, s ? emit.affine(yt, 1 - s, 0.5 * s) : yt, spec.fromLogits),
      );
    case 'poisson':
      return emit.elementwise(emit.poisson(yPred, yt));
    case 'kld':
      return emit.elementwise(emit.klDivergence(yPred, yt), true);
    default:
      return emit.elementwise(emit.regression(spec.kind, yPred, yt, spec.delta));
  }
}

function classIdsValid(values: ArrayLike<number>, numClasses: number, ignoreClass: number | null): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === ignoreClass) continue;
    if (!(v >= 0 && v < numClasses && Number.isInteger(v))) return false;
  }
  return true;
}

/** Emits the loss's ops into a graph for predictions of one shape. */
class LossEmitter {
  private readonly rank: number;
  /** The length of the last axis, which every loss here reduces. */
  readonly classes: number;

  constructor(
    private readonly g: OnnxGraph,
    private readonly predShape: readonly number[],
    /** What the summed per-sample values are divided by (1 for the 'sum' reduction). */
    private readonly divisor: number,
  ) {
    this.rank = predShape.length;
    this.classes = predShape[predShape.length - 1];
  }

  private scalar(name: string, value: number): string {
    return this.g.floats(name, [value], []);
  }

  private op(opType: string, ...inputs: string[]): string {
    return this.g.op1(opType, inputs);
  }

  /** `x * a + b`, as the label smoothings write it. */
  affine(x: string, a: number, b: number): string {
    return this.op('Add', this.op('Mul', x, this.scalar('smooth_scale', a)), this.scalar('smooth_shift', b));
  }

  /** Targets shaped like the predictions, as float32. */
  targets(yTrue: string): string {
    const shaped = this.g.op1('Reshape', [yTrue, this.g.int64s('target_shape', [...this.predShape])]);
    return this.g.op1('Cast', [shaped], { to: FLOAT });
  }

  /**
   * One-hot targets of class ids. With `ignoreClass`, each row is weighted: 0 for ignored rows, and
   * `rows / (valid rows + epsilon)` for the others, so that the mean runs over valid rows (Keras's
   * `apply_mask`). An id out of range gives a zero row (`targetsValid` keeps such batches out).
   */
  sparseTargets(yTrue: string, ignoreClass: number | null): string {
    const numClasses = this.classes;
    const idShape = [...this.predShape.slice(0, -1), 1];
    const shaped = this.g.op1('Reshape', [yTrue, this.g.int64s('class_id_shape', idShape)]);
    const ids = this.g.op1('Cast', [shaped], { to: FLOAT });
    const classes = this.g.floats(
      'classes',
      Array.from({ length: numClasses }, (_, i) => i),
      [numClasses],
    );
    const target = this.g.op1('Cast', [this.op('Equal', ids, classes)], { to: FLOAT });
    if (ignoreClass === null) return target;
    const valid = this.g.op1(
      'Cast',
      [this.g.op1('Not', [this.op('Equal', ids, this.scalar('ignore_class', ignoreClass))])],
      {
        to: FLOAT,
      },
    );
    const validCount = this.g.reduce('ReduceSum', valid, this.allAxes(), false);
    const scale = this.op(
      'Div',
      this.scalar('rows', this.divisor),
      this.op('Add', validCount, this.scalar('epsilon', EPSILON)),
    );
    return this.op('Mul', target, this.op('Mul', valid, scale));
  }

  private allAxes(): number[] {
    return Array.from({ length: this.rank }, (_, i) => i);
  }

  /** The reduced loss of elementwise values `perElement` whose class axis is summed: `sum / divisor`. */
  private reduced(perElement: string, divisor: number): string {
    const total = this.g.reduce('ReduceSum', perElement, this.allAxes(), false);
    return divisor === 1 ? total : this.op('Div', total, this.scalar('loss_divisor', divisor));
  }

  private sumClasses(x: string): string {
    return this.g.reduce('ReduceSum', x, [this.rank - 1], true);
  }

  /**
   * `-sum(target * log p) / divisor`, with `p = softmax(logits)` or the renormalized, clipped
   * probabilities.
   */
  crossentropy(yPred: string, target: string, fromLogits: boolean): LossAndGradient {
    const g = this.g;
    // d loss / d log p = -target / divisor.
    const dLogP = this.op(
      'Neg',
      this.divisor === 1 ? target : this.op('Div', target, this.scalar('divisor', this.divisor)),
    );
    if (fromLogits) {
      const logP = g.op1('LogSoftmax', [yPred], { axis: -1 });
      const loss = this.lossOf(logP, target);
      // Through log_softmax: dx = dLogP - softmax * sum(dLogP).
      const dPred = this.op('Sub', dLogP, this.op('Mul', this.op('Exp', logP), this.sumClasses(dLogP)));
      return { loss, dPred };
    }
    const total = this.sumClasses(yPred);
    const p = this.op('Div', yPred, total);
    const clipped = this.clip(p);
    const loss = this.lossOf(this.op('Log', clipped), target);
    // Through the clip (no gradient outside it), then through p = yPred / sum(yPred).
    const dP = this.insideClip(p, clipped, this.op('Div', dLogP, clipped));
    const dPred = this.op('Div', this.op('Sub', dP, this.sumClasses(this.op('Mul', dP, p))), total);
    return { loss, dPred };
  }

  private lossOf(logP: string, target: string): string {
    return this.reduced(this.op('Neg', this.sumClasses(this.op('Mul', target, logP))), this.divisor);
  }

  /** Probabilities clipped to `[epsilon, 1 - epsilon]`, as Keras's crossentropies clip them. */
  private clip(p: string): string {
    return this.clipTo(p, EPSILON, 1 - EPSILON);
  }

  private clipTo(x: string, min: number, max: number): string {
    return this.g.op1('Clip', [x, this.scalar('clip_min', min), this.scalar('clip_max', max)]);
  }

  /** `grad` where `p` lies inside the clip (bounds included, as tfjs's ClipByValue gradient), else 0. */
  private insideClip(p: string, clipped: string, grad: string): string {
    return this.op('Where', this.op('Equal', p, clipped), grad, this.scalar('zero', 0));
  }

  /**
   * A loss of one value per element: averaged over the last axis (summed for the KL divergence), then
   * reduced; `terms` gives the elementwise values and their gradient with respect to `yPred`.
   */
  elementwise(terms: ElementwiseTerms, summed = false): LossAndGradient {
    const divisor = summed ? this.divisor : this.divisor * this.classes;
    const dPred = this.op('Div', terms.gradient, this.scalar('divisor', divisor));
    return { loss: this.reduced(terms.value, divisor), dPred };
  }

  /** Binary crossentropy of probabilities, or of logits (`fromLogits`). */
  binaryCrossentropy(yPred: string, target: string, fromLogits: boolean): ElementwiseTerms {
    if (fromLogits) {
      // max(x, 0) - x * z + log(1 + exp(-|x|)), whose gradient is sigmoid(x) - z.
      const softplus = this.op('Softplus', this.op('Neg', this.op('Abs', yPred)));
      const linear = this.op('Sub', this.op('Relu', yPred), this.op('Mul', yPred, target));
      return {
        value: this.op('Add', linear, softplus),
        gradient: this.op('Sub', this.op('Sigmoid', yPred), target),
      };
    }
    const one = this.scalar('one', 1);
    const clipped = this.clip(yPred);
    const notClipped = this.op('Sub', one, clipped);
    const notTarget = this.op('Sub', one, target);
    const logLikelihood = this.op(
      'Add',
      this.op('Mul', target, this.op('Log', clipped)),
      this.op('Mul', notTarget, this.op('Log', notClipped)),
    );
    // d/dp = (1 - z) / (1 - p) - z / p, inside the clip.
    const dClipped = this.op('Sub', this.op('Div', notTarget, notClipped), this.op('Div', target, clipped));
    return { value: this.op('Neg', logLikelihood), gradient: this.insideClip(yPred, clipped, dClipped) };
  }

  /** The regression losses, of `x = yPred - yTrue` (Strata's float32 forms, tfjs's gradients). */
  regression(kind: RegressionKind, yPred: string, target: string, delta: number): ElementwiseTerms {
    const x = this.op('Sub', yPred, target);
    if (kind === 'mse')
      return { value: this.op('Mul', x, x), gradient: this.op('Mul', x, this.scalar('two', 2)) };
    if (kind === 'mae') {
      // tfjs's |x| has gradient -1 at 0; Strata takes |yTrue - yPred|, so a tie gives +1 for yPred.
      const negative = this.op('Less', x, this.scalar('zero', 0));
      const sign = this.g.op1('Where', [negative, this.scalar('minus_one', -1), this.scalar('one', 1)]);
      return { value: this.op('Abs', x), gradient: sign };
    }
    if (kind === 'huber') {
      // 0.5 * q^2 + delta * (|x| - q) with q = min(|x|, delta): the gradient is x clipped to +-delta.
      const abs = this.op('Abs', x);
      const q = this.op('Min', abs, this.scalar('delta', delta));
      const quadratic = this.op('Mul', this.op('Mul', q, q), this.scalar('half', 0.5));
      const linear = this.op('Mul', this.op('Sub', abs, q), this.scalar('delta', delta));
      return { value: this.op('Add', quadratic, linear), gradient: this.clipTo(x, -delta, delta) };
    }
    // log(cosh(x)) as x + softplus(-2x) - log(2), whose gradient is tanh(x).
    const softplus = this.op('Softplus', this.op('Mul', x, this.scalar('minus_two', -2)));
    const value = this.op('Sub', this.op('Add', x, softplus), this.scalar('log_two', Math.LN2));
    return { value, gradient: this.op('Tanh', x) };
  }

  /** Poisson: `yPred - yTrue * log(yPred + epsilon)`, whose gradient is `1 - yTrue / (yPred + epsilon)`. */
  poisson(yPred: string, target: string): ElementwiseTerms {
    const shifted = this.op('Add', yPred, this.scalar('epsilon', EPSILON));
    return {
      value: this.op('Sub', yPred, this.op('Mul', target, this.op('Log', shifted))),
      gradient: this.op('Sub', this.scalar('one', 1), this.op('Div', target, shifted)),
    };
  }

  /** KL divergence: `yTrue * log(yTrue / yPred)`, both clipped to `[epsilon, 1]`. */
  klDivergence(yPred: string, target: string): ElementwiseTerms {
    const t = this.clipTo(target, EPSILON, 1);
    const p = this.clipTo(yPred, EPSILON, 1);
    const value = this.op('Mul', t, this.op('Log', this.op('Div', t, p)));
    // d/dp = -t / p, inside the clip.
    return { value, gradient: this.insideClip(yPred, p, this.op('Neg', this.op('Div', t, p))) };
  }
}
