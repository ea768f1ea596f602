/**
 * @strata/optimizers: Keras 3's optimizers and learning-rate schedules on tfjs-core ops. Importing this
 * module registers every class (kind 'optimizer' under its class name and Keras string id, such as
 * 'adam'; kind 'schedule' under its class name).
 */

export { type LearningRate, LearningRateSchedule, Optimizer, type OptimizerArgs } from '@strata/core';
export { Adadelta, type AdadeltaArgs } from './adadelta.js';
export { Adagrad, type AdagradArgs } from './adagrad.js';
export { Adam, type AdamArgs } from './adam.js';
export { Adamax, type AdamaxArgs } from './adamax.js';
export { AdamW } from './adamw.js';
export { Lion, type LionArgs } from './lion.js';
export { Nadam, type NadamArgs } from './nadam.js';
export { RMSprop, type RMSpropArgs } from './rmsprop.js';
export { CosineDecay, type CosineDecayArgs } from './schedules/cosine-decay.js';
export { CosineDecayRestarts, type CosineDecayRestartsArgs } from './schedules/cosine-decay-restarts.js';
export { ExponentialDecay, type ExponentialDecayArgs } from './schedules/exponential-decay.js';
export { InverseTimeDecay, type InverseTimeDecayArgs } from './schedules/inverse-time-decay.js';
export { PeriodicDecay, type PeriodicDecayArgs } from './schedules/periodic-decay.js';
export {
  PiecewiseConstantDecay,
  type PiecewiseConstantDecayArgs,
} from './schedules/piecewise-constant-decay.js';
export { PolynomialDecay, type PolynomialDecayArgs } from './schedules/polynomial-decay.js';
export { SGD, type SGDArgs } from './sgd.js';
