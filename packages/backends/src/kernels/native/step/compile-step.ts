/**
 * The native backend's step compiler (issue 20): the whole built-in training step of a model (forward
 * pass, loss, backward pass, optimizer update) as ONE ONNX graph, run by one synchronous ONNX Runtime call
 * per batch, where the uncompiled step runs ~150 tfjs kernels each paying JavaScript overhead and a copy.
 *
 * It takes a chain of layers (a Sequential model, or a functional one whose layers each take the previous
 * layer's output) that all have a step form (the table below), one float32 input, one output with one
 * compiled loss (step/loss.ts) and an optimizer with a step form (step/optimizer.ts). Anything else gets a
 * reason string, and the trainer runs the uncompiled step.
 *
 * Weights, optimizer state and per-step scalars (the learning rate now, …) are graph inputs, fed in place
 * from the cpu tensors' arrays; the new weights and state are graph outputs, which become the Variables'
 * values without a copy (a cpu tensor keeps the array it is made from). Except with Adam, AdamW, SGD and
 * RMSprop (`StepOptimizer.onHost`): the graph outputs the gradients, and the update runs on the host in
 * place on the step's resident arrays (step/resident.ts), which are the weights' and slots' storage. One
 * graph and session per model and batch signature; the session lives with the backend's kernel sessions
 * (ort.ts).
 */
import {
  type CompiledTrainStep,
  type Layer,
  Model,
  registry,
  type Shape,
  type TrainStepRequest,
  type Variable,
} from '@strata/core';
import { OnnxGraph } from '@strata/onnx/graph';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

import { type CpuData, typedAs } from '../../cpu/mat-mul.js';
import { prepareStepModel, releaseSession, runStepModel, type TypedOperand } from '../ort.js';
import {
  activationName,
  activationStepLayer,
  channelAxisOf,
  stepActivation,
  withActivation,
} from './activations.js';
import {
  averagePooling2dStepLayer,
  conv2dStepLayer,
  globalAveragePooling2dStepLayer,
  maxPooling2dStepLayer,
} from './conv.js';
import { denseStepLayer } from './dense.js';
import { dropoutStepLayer, UniformSource } from './dropout.js';
import { flattenStepLayer } from './flatten.js';
import { layoutPerm } from './layout.js';
import { emitLoss } from './loss.js';
import { type StepOptimizer, stepOptimizer } from './optimizer.js';
import { ResidentState } from './resident.js';
import type { RandomInput, StepLayer, StepLayerFactory, StepLayout } from './types.js';

/** The layers a step compiles, by class name (InputLayer is skipped). */
const STEP_LAYERS: Record<string, StepLayerFactory> = {
  Dense: denseStepLayer,
  Flatten: flattenStepLayer,
  Dropout: dropoutStepLayer,
  Activation: activationStepLayer,
  Conv2D: conv2dStepLayer,
  MaxPooling2D: maxPooling2dStepLayer,
  AveragePooling2D: averagePooling2dStepLayer,
  GlobalAveragePooling2D: globalAveragePooling2dStepLayer,
};

/** ONNX's element types of the labels a step takes, by tfjs dtype. */
const TARGET_TYPES: Partial<Record<tf.DataType, 'float32' | 'int32'>> = {
  float32: 'float32',
  int32: 'int32',
};

let compiledCount = 0;

/** The layers of `model` from its input to its output, when they form a single chain; else why not. */
function layerChain(model: Model): Layer[] | string {
  if (!model.isFunctional) return `model "${model.name}" is subclassed (it runs its own call())`;
  if (model.call !== Model.prototype.call) return `model "${model.name}" overrides call()`;
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    return `model "${model.name}" has ${model.inputs.length} inputs and ${model.outputs.length} outputs (the step takes one of each)`;
  const chain: Layer[] = [];
  let tensor = model.outputs[0];
  while (tensor !== model.inputs[0]) {
    const layer = tensor.sourceLayer;
    const node = layer.inboundNodes[tensor.nodeIndex];
    const kwargs = Object.values(node.kwargs).filter((v) => v !== undefined);
    if (node.inputTensors.length !== 1 || kwargs.length > 0)
      return `layer "${layer.name}" takes ${node.inputTensors.length} inputs or keyword arguments (the step takes a chain of single-input layers)`;
    if (chain.includes(layer)) return `layer "${layer.name}" is used twice`;
    chain.unshift(layer);
    tensor = node.inputTensors[0];
  }
  return chain;
}

/** Why `layer` cannot be part of a compiled step, or null when nothing in it stands in the way. */
function layerRefusal(layer: Layer): string | null {
  if (layer.activityRegularizer) return `layer "${layer.name}" has an activity regularizer`;
  if (layer.nonTrainableWeights.length > 0)
    return `layer "${layer.name}" has non-trainable weights (the step updates trainable weights only)`;
  for (const v of layer.trainableWeights) {
    if (v.regularizer) return `weight "${v.path}" has a regularizer`;
    if (v.constraint) return `weight "${v.path}" has a constraint`;
    if (v.dtype !== 'float32') return `weight "${v.path}" is ${v.dtype} (the step takes float32)`;
  }
  return null;
}

/** One layer of the step: its step form and where its weights are among the step's variables. */
interface PlannedLayer {
  layer: Layer;
  factory: StepLayerFactory;
  /** The indices of the layer's trainable weights in the request's `variables`. */
  weights: number[];
}

/** What a compiled step is built from; every check has passed. */
interface StepPlan {
  request: TrainStepRequest;
  layers: PlannedLayer[];
  optimizer: StepOptimizer;
  /** The output's shape, batch included. */
  predShape: number[];
  /** Whether a batch's target values suit the compiled loss (class ids in range); see step/loss.ts. */
  targetsValid?: (values: ArrayLike<number>) => boolean;
  /** The graph inputs of random numbers the layers declared, fed new ones every run. */
  randomInputs: RandomInput[];
}

/** The step form of `layer` (with its activation) for an input of `shape` in `layout`, or why there is none. */
function stepLayerOf(
  planned: PlannedLayer,
  shape: readonly number[],
  layout: StepLayout,
): StepLayer | string {
  const { layer, factory } = planned;
  const step = factory(layer, shape, layout);
  if (typeof step === 'string') return step;
  const className = (layer.constructor as typeof Layer).className;
  const fn = className === 'Activation' ? null : (layer as Layer & { activation?: unknown }).activation;
  const name = activationName(fn);
  if (name == null || name === 'linear') return step;
  const activation = stepActivation(name, channelAxisOf(step.outputLayout, step.outputShape.length));
  if (typeof activation === 'string') return `layer "${layer.name}": ${activation}`;
  return withActivation(step, activation);
}

/** How a step is compiled. */
export interface StepOptions {
  /**
   * Whether Adam, AdamW, SGD and RMSprop (without EMA or gradient accumulation) update on the host, in place
   * on resident arrays (default), or in the graph like every other optimizer; false for comparisons.
   */
  hostUpdate?: boolean;
}

/** Checks the request against what a step compiles; the plan, or why the step cannot be compiled. */
function planStep(request: TrainStepRequest, { hostUpdate = true }: StepOptions = {}): StepPlan | string {
  const { model, inputs, targets, losses, lossWeights } = request;
  if (!(model instanceof Model)) return 'the model is not a Strata Model';
  if (request.sampleWeighted) return 'the batches carry sample weights (sampleWeight or classWeight)';
  if (inputs.length !== 1 || inputs[0].dtype !== 'float32')
    return `the step takes one float32 input; the batches have ${inputs.map((x) => x.dtype).join(', ')}`;
  if (targets.length !== 1 || !TARGET_TYPES[targets[0].dtype])
    return `the step takes one float32 or int32 target; the batches have ${targets.map((y) => y.dtype).join(', ') || 'none'}`;
  if (losses.length !== 1 || losses[0] == null) return 'the step takes one output with one compiled loss';
  if (lossWeights[0] !== 1) return `the loss has a loss weight (${lossWeights[0]})`;
  const chain = layerChain(model);
  if (typeof chain === 'string') return chain;
  const index = new Map<Variable, number>(request.variables.map((v, i) => [v, i]));
  const layers: PlannedLayer[] = [];
  for (const layer of chain) {
    const className = (layer.constructor as typeof Layer).className;
    // Strata's own classes only: a subclass (a `call` of its own) is not what the table's factory emits.
    const entry = registry.entryOf('layer', layer.constructor);
    if (!entry?.builtin) return `layer "${layer.name}" (${className}) is not one of Strata's layers`;
    if (entry.key === 'InputLayer') continue;
    const factory = STEP_LAYERS[entry.key];
    if (!factory) return `layer "${layer.name}" (${className}) has no compiled form`;
    const refusal = layerRefusal(layer);
    if (refusal) return refusal;
    const weights = layer.trainableWeights.map((v) => index.get(v) ?? -1);
    if (weights.includes(-1)) return `layer "${layer.name}" has a weight the optimizer does not train`;
    layers.push({ layer, factory, weights });
  }
  const used = layers.flatMap((l) => l.weights);
  if (used.length !== request.variables.length || new Set(used).size !== used.length)
    return 'the trainable weights are not those of the layers in the chain, each once';
  let optimizer = stepOptimizer(request.optimizer, request.variables, hostUpdate);
  if (typeof optimizer === 'string') return optimizer;
  // Weights and slots beyond one WebAssembly memory (4 GiB) update in the graph.
  if (optimizer.onHost && !ResidentState.fits(request.variables, optimizer.slotsOf))
    optimizer = stepOptimizer(request.optimizer, request.variables, false) as StepOptimizer;
  const plan: StepPlan = { request, layers, optimizer, predShape: [], randomInputs: [] };
  const built = emitStep(new OnnxGraph(), plan);
  if (typeof built === 'string') return built;
  return { ...plan, ...built };
}

/** What `emitStep` adds besides its graph outputs. */
type EmittedStep = Pick<StepPlan, 'predShape' | 'targetsValid' | 'randomInputs'>;

/**
 * Emits the whole step into `g`: inputs `x`, `y`, `w<i>` (the variables), `s<j>` (the optimizer's state) and
 * the optimizer's scalars; outputs `loss`, `pred`, `w<i>_new`, `s<j>_new`. With an update on the host
 * (`optimizer.onHost`): inputs `x`, `y`, `w<i>`; outputs `loss`, `pred` and `g<i>`, the gradients as the
 * update takes them. Deterministic, so the session can be rebuilt from it after the backend released it.
 */
function emitStep(g: OnnxGraph, plan: StepPlan): EmittedStep | string {
  const { request, layers, optimizer } = plan;
  const input = request.inputs[0];
  const target = request.targets[0];
  g.addInput('x', input.shape as Shape, 'float32');
  g.addInput('y', target.shape as Shape, TARGET_TYPES[target.dtype]!);
  const weights = request.variables.map((v, i) => {
    g.addInput(`w${i}`, v.shape, 'float32');
    return `w${i}`;
  });
  const onHost = optimizer.onHost;
  const state = onHost
    ? []
    : optimizer.stateVariables.map((v, j) => {
        g.addInput(`s${j}`, v.shape, v.dtype === 'int32' ? 'int32' : 'float32');
        return `s${j}`;
      });
  if (!onHost) for (const name of Object.keys(optimizer.scalars())) g.addInput(name, [], 'float32');

  // Forward: each layer in its layout, with a transpose where consecutive layouts differ.
  let x = 'x';
  let shape: readonly number[] = input.shape;
  let layout: StepLayout = 'keras';
  const steps: { step: StepLayer; inPerm: number[] | null }[] = [];
  const randomInputs: RandomInput[] = [];
  for (const planned of layers) {
    const step = stepLayerOf(planned, shape, layout);
    if (typeof step === 'string') return step;
    // Values of rank other than 4 have the same order in both layouts.
    const inPerm = shape.length === 4 ? layoutPerm(layout, step.inputLayout) : null;
    if (inPerm) x = g.op1('Transpose', [x], { perm: inPerm });
    g.scope = planned.layer.name;
    x = step.forward(
      g,
      x,
      planned.weights.map((i) => weights[i]),
      true,
    );
    g.scope = '';
    randomInputs.push(...(step.randomInputs ?? []));
    steps.push({ step, inPerm });
    shape = step.outputShape;
    layout = step.outputLayout;
  }
  const outPerm = shape.length === 4 ? layoutPerm(layout, 'keras') : null;
  const pred = outPerm ? g.op1('Transpose', [x], { perm: outPerm }) : x;
  const predShape = outPerm ? outPerm.map((axis) => shape[axis]) : [...shape];

  const lossValues = emitLoss(g, request.losses[0]!, pred, 'y', predShape, target.shape);
  if (typeof lossValues === 'string') return lossValues;

  // Backward: from the loss's gradient through each layer (and transpose) in reverse, down to the first
  // layer with weights; a layer's input gradient only when a layer before it has weights (the bench MLP's
  // first Dense, after a Flatten, would otherwise compute a 128x512x784 product nothing reads: ONNX Runtime
  // kept it, 0.65 ms of a 6 ms step).
  let dy: string | null = lossValues.dPred;
  if (outPerm) dy = g.op1('Transpose', [dy], { perm: inverse(outPerm) });
  const grads: string[] = new Array(weights.length);
  const firstTrained = layers.findIndex((l) => l.weights.length > 0);
  for (let k = layers.length - 1; k >= Math.max(firstTrained, 0); k--) {
    const { step, inPerm } = steps[k];
    g.scope = `${layers[k].layer.name}/grad`;
    const { dx, dWeights } = step.backward(g, dy!, k > firstTrained);
    g.scope = '';
    layers[k].weights.forEach((i, n) => {
      grads[i] = dWeights[n];
    });
    dy = dx && inPerm ? g.op1('Transpose', [dx], { perm: inverse(inPerm) }) : dx;
  }

  g.addOutput('loss', lossValues.loss, [], 'float32');
  g.addOutput('pred', pred, predShape, 'float32');
  if (onHost) {
    const gradients = optimizer.emitGradients(g, grads);
    request.variables.forEach((v, i) => {
      g.addOutput(`g${i}`, gradients[i], v.shape, 'float32');
    });
    return { predShape, targetsValid: lossValues.targetsValid, randomInputs };
  }
  const { newWeights, newState } = optimizer.emit(g, weights, grads, state);
  request.variables.forEach((v, i) => {
    g.addOutput(`w${i}_new`, newWeights[i], v.shape, 'float32');
  });
  optimizer.stateVariables.forEach((v, j) => {
    g.addOutput(`s${j}_new`, newState[j], v.shape, v.dtype === 'int32' ? 'int32' : 'float32');
  });
  return { predShape, targetsValid: lossValues.targetsValid, randomInputs };
}

function inverse(perm: readonly number[]): number[] {
  const out: number[] = [];
  perm.forEach((axis, i) => {
    out[axis] = i;
  });
  return out;
}

/** Gives `variable` the values `values` (an ONNX Runtime output) without copying them. */
function assignValues(variable: Variable, values: Float32Array | Int32Array): void {
  const t = tf.tensor(values, variable.shape, variable.dtype);
  variable.value.assign(t);
  t.dispose();
}

/**
 * The ONNX graph of the compiled step for `request` (what `compileTrainStep` runs), emitted into `g`, or why
 * there is none; for inspecting the step (tests, bench/src/step-profile.ts).
 */
export function trainStepGraph(
  request: TrainStepRequest,
  g = new OnnxGraph(),
  options: StepOptions = {},
): OnnxGraph | string {
  const plan = planStep(request, options);
  if (typeof plan === 'string') return plan;
  const emitted = emitStep(g, plan);
  return typeof emitted === 'string' ? emitted : g;
}

/**
 * Compiles the built-in training step of `request.model` for its batch signature into one ONNX Runtime
 * session (the native backend's `compileTrainStep`), or returns why it cannot.
 */
export function compileTrainStep(
  request: TrainStepRequest,
  options: StepOptions = {},
): CompiledTrainStep | string {
  const plan = planStep(request, options);
  if (typeof plan === 'string') return plan;
  const { variables, model } = request;
  const { optimizer, predShape, targetsValid } = plan;
  // Each Dropout mask's values, drawn anew before every run from its own sequence.
  const random = plan.randomInputs.map(({ name, shape, seed, rate }) => ({
    name,
    shape,
    rate,
    values: new Float32Array(tf.util.sizeFromShape([...shape])),
    source: new UniformSource(seed),
  }));
  const batch = request.inputs[0].shape[0];
  const key = `compiled training step of model "${model.name}" for batches of ${batch} (#${++compiledCount})`;
  const build = (g: OnnxGraph) => {
    const emitted = emitStep(g, plan);
    // The plan's emission succeeded, and emission is deterministic.
    if (typeof emitted === 'string') throw new Error(emitted);
  };
  // The session is made now, so a model ONNX Runtime refuses is a reason (the uncompiled step runs under
  // 'auto'), not a failed batch.
  const refused = prepareStepModel(key, build);
  if (refused) return refused;
  const onHost = optimizer.onHost;
  const outputs = onHost
    ? ['loss', 'pred', ...variables.map((_, i) => `g${i}`)]
    : [
        'loss',
        'pred',
        ...variables.map((_, i) => `w${i}_new`),
        ...optimizer.stateVariables.map((_, j) => `s${j}_new`),
      ];
  // With the update on the host, the weights and slots live in the step's arena and are updated in place.
  const resident = onHost ? new ResidentState(variables, optimizer.slotsOf) : null;
  return {
    outputShapes: [predShape],
    run(xs, ys) {
      const backend = tf.backend() as unknown as CpuData & MathBackendCPU;
      // tfjs's data storage moves a value made on another backend here as it is read (weights built before
      // `setBackend('native')`, or trained on cpu in between).
      const values = (t: tf.Tensor) => typedAs(backend.data.get(t.dataId).values, t.dtype);
      const y = values(ys[0]);
      if (targetsValid && !targetsValid(y)) return null;
      const feeds: Record<string, TypedOperand> = {
        x: { values: values(xs[0]), shape: xs[0].shape },
        y: { values: y, shape: ys[0].shape },
      };
      // Changes which storage backs each variable, never a value: a failed run below leaves all as it was.
      resident?.attach(backend);
      variables.forEach((v, i) => {
        feeds[`w${i}`] = { values: resident ? resident.weightValues(i) : values(v.value), shape: v.shape };
      });
      if (!resident) {
        optimizer.stateVariables.forEach((v, j) => {
          feeds[`s${j}`] = { values: values(v.value), shape: v.shape };
        });
        for (const [name, value] of Object.entries(optimizer.scalars()))
          feeds[name] = { values: Float32Array.of(value), shape: [] };
      }
      for (const { name, shape, rate, values: numbers, source } of random) {
        source.fillMask(numbers, rate);
        feeds[name] = { values: numbers, shape };
      }
      // The gradients go straight into the arena (ONNX Runtime writes them there).
      const into: Record<string, TypedOperand> = {};
      if (resident) {
        variables.forEach((v, i) => {
          into[`g${i}`] = { values: resident.gradientValues(i), shape: v.shape };
        });
      }
      const out = runStepModel(key, build, feeds, outputs, into);
      if (resident) {
        optimizer.applyOnHost(resident.kernels, (i) => resident.pointers(i));
        resident.updated();
      } else {
        const state = optimizer.stateVariables;
        for (let i = 0; i < variables.length; i++) assignValues(variables[i], out[2 + i]);
        for (let j = 0; j < state.length; j++) assignValues(state[j], out[2 + variables.length + j]);
      }
      optimizer.finishStep();
      return { loss: tf.scalar(out[0][0]), outputs: [tf.tensor(out[1], predShape)] };
    },
    dispose: () => {
      resident?.release();
      releaseSession(key);
    },
  };
}
