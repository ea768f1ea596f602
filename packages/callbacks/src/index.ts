/**
 * @strata/callbacks: Keras 3's training callbacks. Importing this package registers each one under
 * kind 'callback' by its Keras class name, so `fit` finds ProgbarLogger for its default display.
 */

export { BackupAndRestore, type BackupAndRestoreArgs } from './backup-and-restore.js';
export { CSVLogger, type CSVLoggerArgs } from './csv-logger.js';
export { EarlyStopping, type EarlyStoppingArgs } from './early-stopping.js';
export { LambdaCallback, type LambdaCallbackArgs } from './lambda-callback.js';
export {
  type LearningRateScheduleFn,
  LearningRateScheduler,
  type LearningRateSchedulerArgs,
} from './learning-rate-scheduler.js';
export { ModelCheckpoint, type ModelCheckpointArgs } from './model-checkpoint.js';
export type { MonitorMode } from './monitor.js';
export { Progbar, type ProgbarOptions } from './progbar.js';
export {
  ProgbarLogger,
  type ProgbarLoggerArgs,
  type ProgressStream,
  type ProgressUpdate,
} from './progbar-logger.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce-lr-on-plateau.js';
export { TerminateOnNaN, type TerminateOnNaNArgs } from './terminate-on-nan.js';
