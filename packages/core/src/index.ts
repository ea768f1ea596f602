/**
 * @strata/core: the registry; the base classes Layer, Model, Sequential, Optimizer, Loss, Metric and
 * Callback; symbolic tensors and `input()`; compile, fit, evaluate and predict. Every other package plugs
 * into it.
 *
 * @module @strata/core
 */

export { checkArgumentNames } from './argument-names.js';
export { activeBackendMemory } from './backend-check.js';
export {
  Callback,
  type CallbackModel,
  type CallbackModelTypes,
  type CallbackParams,
  History,
  type Logs,
} from './callback.js';
export { type LossIdentifier, MeanTracker, type MetricIdentifier } from './engine/compile.js';
export {
  type Batch,
  type Dataset,
  type ModelData,
  type TensorLike,
  yieldToEventLoop,
} from './engine/data-adapter.js';
export { type GraphMap, mapGraph } from './engine/graph.js';
export { assertInputCompatibility, type InputSpec } from './engine/input-spec.js';
export { isSymbolic, Node, type Shape, SymbolicTensor } from './engine/symbolic-tensor.js';
export {
  formatShape,
  IndexError,
  KeyError,
  NotImplementedError,
  RegistryError,
  RuntimeError,
  ValueError,
} from './errors.js';
export { type InputArgs, InputLayer, type InputLayerArgs, input } from './input-layer.js';
export { StrataAdamUpdate, type StrataAdamUpdateAttrs, type StrataAdamUpdateInputs } from './kernel-names.js';
export {
  type AddWeightOptions,
  type ApplyKwargs,
  type CallKwargs,
  type ConstraintIdentifier,
  dtypePolicyJSON,
  type InitializerIdentifier,
  isShapeList,
  Layer,
  type LayerArgs,
  type RegularizerIdentifier,
} from './layer.js';
export { BASE_LAYER_ARGUMENTS } from './layer-arguments.js';
export {
  Loss,
  type LossArgs,
  type LossFunction,
  type Reduction,
  reduceValues,
  reduceWeightedValues,
  squeezeOrExpandToSameRank,
} from './loss.js';
export {
  isMetricResolver,
  Metric,
  type MetricArgs,
  type MetricResolveContext,
  type MetricResolver,
} from './metric.js';
export {
  type CompileArgs,
  type EvaluateArgs,
  type ExportOptions,
  type FitArgs,
  functionalFromConfig,
  Model,
  type ModelArgs,
  type ModelOutput,
  type OptimizerIdentifier,
  type PredictArgs,
  type StepData,
  type StepInputs,
  type StepLogs,
  type SymbolicStructure,
} from './model.js';
export { camelToSnake, resetUniqueNames, snakeToCamel, toSnakeCase, uniqueName } from './naming.js';
export { type LearningRate, LearningRateSchedule, Optimizer, type OptimizerArgs } from './optimizer.js';
export {
  type ActivationIds,
  type BackendIds,
  type ConstraintIds,
  type InitializerIds,
  type LossIds,
  type MetricIds,
  type OptimizerIds,
  type RegisterOptions,
  Registry,
  type RegistryEntry,
  type RegistryKind,
  type RegularizerIds,
  register,
  registry,
  type ScheduleIds,
} from './registry.js';
export { registeredNameOf, resolveIdentifier } from './resolve.js';
export type { KerasStateArray } from './saved-state.js';
export { Sequential, type SequentialArgs } from './sequential.js';
export {
  configFromKeras,
  configToKeras,
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  type Serializable,
  type SerializableClass,
  serializeKerasObject,
} from './serialization.js';
export {
  activeBackendDescription,
  type BackendDescription,
  type CompiledPredict,
  type CompiledStepResult,
  type CompiledTrainStep,
  type PredictRequest,
  type TensorSignature,
  type TrainStepRequest,
} from './step-compiler.js';
export { printSummary, readableMemorySize, type SummaryModel, type SummaryOptions } from './summary.js';
export { valueAndGrads } from './trainers/gradients.js';
export {
  activeWeightsFromFile,
  buildingFromFile,
  type Constraint,
  type Initializer,
  type PlannedWeight,
  type Regularizer,
  Variable,
  type WeightsFromFile,
} from './variable.js';
