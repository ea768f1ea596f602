export { ValueError, RegistryError, RuntimeError, NotImplementedError, formatShape } from './errors.js';
export { toSnakeCase, camelToSnake, snakeToCamel, uniqueName, resetUniqueNames } from './naming.js';
export {
  Registry,
  registry,
  register,
  type RegistryKind,
  type RegisterOptions,
  type RegistryEntry,
  type OptimizerIds,
  type LossIds,
  type MetricIds,
  type ActivationIds,
  type InitializerIds,
  type RegularizerIds,
  type ConstraintIds,
  type ScheduleIds,
  type BackendIds,
} from './registry.js';
export {
  type KerasObjectJSON,
  type Serializable,
  type SerializableClass,
  serializeKerasObject,
  deserializeKerasObject,
  isKerasObjectJSON,
  configToKeras,
  configFromKeras,
} from './serialization.js';
export { resolveIdentifier, registeredNameOf } from './resolve.js';
export { Variable, type Constraint, type Regularizer, type Initializer } from './variable.js';
export { type InputSpec, assertInputCompatibility } from './engine/input-spec.js';
export { SymbolicTensor, Node, isSymbolic, type Shape } from './engine/symbolic-tensor.js';
export {
  Layer,
  type LayerArgs,
  type CallKwargs,
  type AddWeightOptions,
  type InitializerIdentifier,
  type RegularizerIdentifier,
  type ConstraintIdentifier,
  dtypePolicyJSON,
  isShapeList,
} from './layer.js';
export { InputLayer, input, type InputLayerArgs, type InputArgs } from './input-layer.js';
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
  Metric,
  type MetricArgs,
  type MetricResolveContext,
  type MetricResolver,
  isMetricResolver,
} from './metric.js';
export { Optimizer, type OptimizerArgs, LearningRateSchedule, type LearningRate } from './optimizer.js';
export { Callback, History, type Logs, type CallbackParams } from './callback.js';
export {
  Model,
  functionalFromConfig,
  type ModelArgs,
  type CompileArgs,
  type FitArgs,
  type EvaluateArgs,
  type PredictArgs,
  type OptimizerIdentifier,
} from './model.js';
export { Sequential, type SequentialArgs } from './sequential.js';
export { printSummary, readableMemorySize, type SummaryOptions } from './summary.js';
export { mapGraph, type GraphMap } from './engine/graph.js';
export { type LossIdentifier, type MetricIdentifier, MeanTracker } from './engine/compile.js';
export {
  type ModelData,
  type Dataset,
  type Batch,
  type TensorLike,
  yieldToEventLoop,
} from './engine/data-adapter.js';
