// Model.save and saveWeights find @strata/io's writers through the registry; importing it registers them.
import '@strata/io';

import { Callback, KeyError, type Logs, register, ValueError } from '@strata/core';

import { BatchSaveCounter } from './batch-save-counter.js';
import { checkMode, isImprovement, type MonitorMode, monitorOp, WarnOnce } from './monitor.js';
import { formatPython, formatValue, type PyValue } from './python-format.js';

/** Constructor arguments of `ModelCheckpoint`: Keras's arguments of the same names, in camelCase. */
export interface ModelCheckpointArgs {
  /**
   * Where to save: a path ending in `.keras` (or legacy `.h5`), or in `.weights.h5` with
   * `saveWeightsOnly`. It may hold Python format fields filled from the 1-based `epoch`, the 1-based
   * `batch` (when saving every few batches) and the logs: `'ckpt/{epoch:02d}-{val_loss:.2f}.keras'`.
   * The folder must exist: training fails at its start otherwise, as `model.save` fails, rather than
   * creating folders from a mistyped path (Keras would create it). Only folders named by format fields
   * are created.
   */
  filepath: string;
  /** The quantity to watch for `saveBestOnly`. Default 'val_loss'. */
  monitor?: string;
  /** 1 prints a message on each save decision. Default 0. */
  verbose?: number;
  /** Save only when the monitored quantity improves on the best so far. Default false. */
  saveBestOnly?: boolean;
  /** Save the weights alone (`model.saveWeights`) instead of the whole model. Default false. */
  saveWeightsOnly?: boolean;
  /** 'min', 'max', or 'auto' (from the monitored name). Default 'auto'. */
  mode?: MonitorMode;
  /** 'epoch', or a number of batches between saves. Default 'epoch'. */
  saveFreq?: 'epoch' | number;
  /** The initial "best" value for `saveBestOnly`: a model is saved only once it beats this. Default null. */
  initialValueThreshold?: number | null;
}

/** True where Node's file system is available and `path` is a plain file path. */
function isNodeFilePath(path: string): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return Boolean(proc?.versions?.node) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(path);
}

/** The folder part of `filepath` that no template field can change. */
function staticDirectory(filepath: string): string {
  const cut = filepath.indexOf('{');
  const fixed = cut >= 0 ? filepath.slice(0, cut) : filepath;
  const slash = Math.max(fixed.lastIndexOf('/'), fixed.lastIndexOf('\\'));
  return slash >= 0 ? fixed.slice(0, slash) || '/' : '.';
}

/**
 * Saves the model or its weights during training (Keras's `ModelCheckpoint`), every epoch or every
 * `saveFreq` batches, optionally only when the monitored quantity improves.
 *
 * Saves are atomic: each file is written under a temporary name and renamed into place, so a crash or
 * a kill in the middle of a save never leaves a truncated file where a good checkpoint was. The folder
 * is checked when training begins, so an unwritable location fails before any epoch runs.
 *
 * Keras: `keras.callbacks.ModelCheckpoint`
 *
 * @example
 * ```ts
 * const checkpoint = new ModelCheckpoint({ filepath: 'ckpt/best.keras', monitor: 'val_accuracy', mode: 'max', saveBestOnly: true });
 * ```
 */
export class ModelCheckpoint extends Callback {
  static override className = 'ModelCheckpoint';

  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: MonitorMode;
  readonly saveFreq: 'epoch' | number;
  readonly initialValueThreshold: number | null;
  best: number | null;

  private op: 'less' | 'greater' | null = null;
  private readonly batches: BatchSaveCounter;
  private currentEpoch = 0;
  private readonly warnings = new WarnOnce();

  constructor(args: ModelCheckpointArgs) {
    super();
    if (typeof args?.filepath !== 'string' || args.filepath === '') {
      throw new ValueError(
        `ModelCheckpoint needs a \`filepath\`. Received: filepath=${String(args?.filepath)}`,
      );
    }
    this.filepath = args.filepath;
    this.monitor = args.monitor ?? 'val_loss';
    this.verbose = args.verbose ?? 0;
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.saveWeightsOnly = args.saveWeightsOnly ?? false;
    this.mode = checkMode(
      args.mode,
      `ModelCheckpoint mode '${args.mode}' is unknown, fallback to auto mode.`,
    );
    this.saveFreq = args.saveFreq ?? 'epoch';
    this.batches = new BatchSaveCounter(this.saveFreq);
    this.initialValueThreshold = args.initialValueThreshold ?? null;
    this.best = this.initialValueThreshold;

    if (this.saveFreq !== 'epoch' && !Number.isInteger(this.saveFreq)) {
      throw new ValueError(
        `Unrecognized save_freq: ${String(this.saveFreq)}. Expected save_freq are 'epoch' or integer values`,
      );
    }
    if (this.saveWeightsOnly) {
      if (!this.filepath.endsWith('.weights.h5')) {
        throw new ValueError(
          'When using `saveWeightsOnly: true` in `ModelCheckpoint`, the filepath provided must end in ' +
            `\`.weights.h5\` (Keras weights format). Received: filepath=${this.filepath}`,
        );
      }
    } else if (this.filepath.endsWith('.weights.h5')) {
      // Keras accepts this here and fails at the first save; failing now saves an epoch of work.
      throw new ValueError(
        'A filepath ending in `.weights.h5` holds weights only: pass `saveWeightsOnly: true`, or end the ' +
          `filepath in \`.keras\` to save the whole model. Received: filepath=${this.filepath}`,
      );
    } else if (!this.filepath.endsWith('.keras') && !this.filepath.endsWith('.h5')) {
      throw new ValueError(
        `The filepath provided must end in \`.keras\` (Keras model format). Received: filepath=${this.filepath}`,
      );
    }
  }

  override async onTrainBegin(): Promise<void> {
    this.batches.reset();
    if (!isNodeFilePath(this.filepath)) return;
    const files = await import('./atomic-write.js');
    const fs = await import('node:fs/promises');
    const dir = staticDirectory(this.filepath);
    if (!this.filepath.includes('{')) {
      const st = await fs.stat(this.filepath).catch(() => null);
      if (st?.isDirectory()) throw directoryError(this.filepath);
    }
    const folder = await fs.stat(dir).catch(() => null);
    if (!folder?.isDirectory()) {
      throw new ValueError(
        `ModelCheckpoint cannot save into the folder '${dir}': it ${folder ? 'is not a folder' : 'does not exist'}. ` +
          `Create it first; like model.save, ModelCheckpoint does not create folders. Received: filepath=${this.filepath}`,
      );
    }
    try {
      await files.checkWritableDirectory(dir, false);
    } catch (e) {
      throw new ValueError(
        `ModelCheckpoint cannot write checkpoints to the folder '${dir}' (${(e as Error).message}). ` +
          `Received: filepath=${this.filepath}`,
      );
    }
    await files.removeStaleTemporaries(dir);
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override async onTrainBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    if (this.batches.shouldSaveOnBatch(batch)) await this.saveModel(this.currentEpoch, batch, logs);
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.ensureMonitorOp();
    if (this.saveFreq === 'epoch') await this.saveModel(epoch, null, logs);
  }

  /** Set up on first use (the model's metrics are built by then); an unset best becomes ±inf, as in Keras. */
  private ensureMonitorOp(): 'less' | 'greater' {
    if (this.op === null) {
      this.op = monitorOp(this.model, this.monitor, this.mode, 'ModelCheckpoint');
      this.best ??= this.op === 'less' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
    return this.op;
  }

  private shouldSave(epoch: number, logs: Logs, filepath: string): boolean {
    if (!this.saveBestOnly) {
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: saving model to ${filepath}`);
      return true;
    }
    const current = logs[this.monitor];
    if (current === undefined || current === null) {
      this.warnings.warn(`Can save best model only with ${this.monitor} available.`);
      return true;
    }
    const op = this.ensureMonitorOp();
    const bestText = this.best === null ? 'None' : formatValue(this.best, '.5f');
    if (isImprovement(op, 0, current, this.best)) {
      if (this.verbose > 0) {
        console.log(
          `\nEpoch ${epoch + 1}: ${this.monitor} improved from ${bestText} to ${formatValue(current, '.5f')}, saving model to ${filepath}`,
        );
      }
      this.best = current;
      return true;
    }
    if (this.verbose > 0)
      console.log(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${bestText}`);
    return false;
  }

  /** The file name for this save: the template filled as Python's `str.format` fills it. */
  filePathFor(epoch: number, batch: number | null, logs: Logs = {}): string {
    const values: Record<string, PyValue> = {};
    for (const [k, v] of Object.entries(logs)) values[k] = v;
    values.epoch = BigInt(epoch + 1);
    if (batch !== null && !('batch' in logs)) values.batch = BigInt(batch + 1);
    try {
      return formatPython(this.filepath, values);
    } catch (e) {
      if (e instanceof KeyError) {
        throw new KeyError(
          `Failed to format this callback filepath: "${this.filepath}". Reason: ${e.message}`,
        );
      }
      throw e;
    }
  }

  private async saveModel(epoch: number, batch: number | null, logs: Logs): Promise<void> {
    const filepath = this.filePathFor(epoch, batch, logs);
    if (!this.shouldSave(epoch, logs, filepath)) return;
    const model = this.model!;
    if (!isNodeFilePath(filepath)) {
      if (this.saveWeightsOnly) await model.saveWeights(filepath, { overwrite: true });
      else await model.save(filepath, { overwrite: true });
      return;
    }
    const files = await import('./atomic-write.js');
    const fs = await import('node:fs/promises');
    const st = await fs.stat(filepath).catch(() => null);
    if (st?.isDirectory()) throw directoryError(filepath);
    const slash = Math.max(filepath.lastIndexOf('/'), filepath.lastIndexOf('\\'));
    if (slash > 0) await fs.mkdir(filepath.slice(0, slash), { recursive: true });
    const target = files.atomicFileTarget(filepath);
    if (this.saveWeightsOnly) await model.saveWeights(target, { overwrite: true });
    else await model.save(target, { overwrite: true, format: filepath.endsWith('.keras') ? 'keras' : 'h5' });
  }

  getConfig(): Record<string, unknown> {
    return {
      filepath: this.filepath,
      monitor: this.monitor,
      verbose: this.verbose,
      saveBestOnly: this.saveBestOnly,
      saveWeightsOnly: this.saveWeightsOnly,
      mode: this.mode,
      saveFreq: this.saveFreq,
      initialValueThreshold: this.initialValueThreshold,
    };
  }
}

function directoryError(filepath: string): ValueError {
  return new ValueError(
    `Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing directory: ${filepath}`,
  );
}

register('callback', 'ModelCheckpoint', ModelCheckpoint, { aliases: ['model_checkpoint'] });
