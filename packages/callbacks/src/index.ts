/**
 * @strata/callbacks: Keras 3's training callbacks. Importing this package registers each one under
 * kind 'callback' by its Keras class name, so `fit` finds ProgbarLogger for its default display.
 */
export { ProgbarLogger, type ProgbarLoggerArgs, type ProgressStream, type ProgressUpdate } from './progbar-logger.js';
export { Progbar, type ProgbarOptions } from './progbar.js';
export { EarlyStopping, type EarlyStoppingArgs } from './early-stopping.js';
export { ModelCheckpoint, type ModelCheckpointArgs } from './model-checkpoint.js';
export { BackupAndRestore, type BackupAndRestoreArgs } from './backup-and-restore.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce-lr-on-plateau.js';
export {
  LearningRateScheduler,
  type LearningRateSchedulerArgs,
  type LearningRateScheduleFn,
} from './learning-rate-scheduler.js';
export { TerminateOnNaN, type TerminateOnNaNArgs } from './terminate-on-nan.js';
export { CSVLogger, type CSVLoggerArgs } from './csv-logger.js';
export { LambdaCallback, type LambdaCallbackArgs } from './lambda-callback.js';
export type { MonitorMode } from './monitor.js';
export { formatPython, formatValue, pyFloatRepr, KeyError, IndexError, type PyValue } from './python-format.js';
