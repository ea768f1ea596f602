// Model.saveWeights and loadWeights find @strata/io's functions through the registry; importing it registers them.
import '@strata/io';

import { Callback, RuntimeError, register, ValueError } from '@strata/core';
import { BatchSaveCounter } from './batch-save-counter.js';

export interface BackupAndRestoreArgs {
  /** The folder for the backup. Use it for nothing else: it is deleted when training completes. */
  backupDir: string;
  /** 'epoch', or a number of batches between backups. Default 'epoch'. */
  saveFreq?: 'epoch' | number;
  /** Delete the backup when training completes. Default true. */
  deleteCheckpoint?: boolean;
}

/** What `training_metadata.json` holds; Keras reads `epoch` (and `batch`) and ignores the rest. */
interface TrainingMetadata {
  epoch: number;
  batch: number;
  /** SHA-256 of the weights file this epoch goes with, and the state before it (see `save`). */
  weights_sha256?: string;
  previous?: { epoch: number; batch: number; weights_sha256: string } | null;
}

/**
 * Backs up the training state at the end of each epoch (or every `saveFreq` batches) and restores it
 * when the same `fit` call runs again after an interruption (Keras's `BackupAndRestore`). The backup is
 * Keras's: `latest.weights.h5` (weights and optimizer state) and `training_metadata.json` (the epoch to
 * resume from), so a restarted run continues at the epoch after the last one backed up.
 *
 * Both files are written atomically. The metadata is written first and names the SHA-256 of the
 * weights it goes with and of the previous backup's weights, so a kill between the two writes still
 * resumes from a consistent pair. Node only.
 *
 * Keras: `keras.callbacks.BackupAndRestore`
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 10, verbose: 0, callbacks: [new BackupAndRestore({ backupDir: 'backup' })] });
 * ```
 */
export class BackupAndRestore extends Callback {
  static override className = 'BackupAndRestore';

  readonly backupDir: string;
  readonly saveFreq: 'epoch' | number;
  readonly deleteCheckpoint: boolean;
  private readonly batches: BatchSaveCounter;
  private currentEpoch = 0;
  private lastSaved: { epoch: number; batch: number; weights_sha256: string } | null = null;

  constructor(args: BackupAndRestoreArgs) {
    super();
    if (!args?.backupDir) throw new ValueError('Empty `backup_dir` argument passed');
    this.backupDir = args.backupDir;
    this.saveFreq = args.saveFreq ?? 'epoch';
    this.batches = new BatchSaveCounter(this.saveFreq);
    this.deleteCheckpoint = args.deleteCheckpoint ?? true;
    if (this.saveFreq !== 'epoch' && !Number.isInteger(this.saveFreq)) {
      throw new ValueError(
        `Invalid value for argument \`save_freq\`. Received: save_freq=${String(this.saveFreq)}. ` +
          "Expected either 'epoch' or an integer value.",
      );
    }
  }

  private async paths() {
    const { join } = await import('node:path');
    return {
      weights: join(this.backupDir, 'latest.weights.h5'),
      metadata: join(this.backupDir, 'training_metadata.json'),
    };
  }

  override async onTrainBegin(): Promise<void> {
    const model = this.model!;
    if (!model.built) {
      throw new ValueError(
        'To use the BackupAndRestore callback, your model must be built before you call `fit()`. ' +
          `Model ${model.name} is unbuilt. You can build it beforehand by calling it on a batch of data.`,
      );
    }
    this.currentEpoch = 0;
    this.batches.reset();
    this.lastSaved = null;
    const files = await import('./atomic-write.js');
    try {
      await files.checkWritableDirectory(this.backupDir);
    } catch (e) {
      throw new ValueError(
        `BackupAndRestore cannot write to backupDir='${this.backupDir}' (${(e as Error).message}).`,
      );
    }
    await files.removeStaleTemporaries(this.backupDir);

    const fs = await import('node:fs/promises');
    const paths = await this.paths();
    const weights = await fs.readFile(paths.weights).catch(() => null);
    const metadataText = await fs.readFile(paths.metadata, 'utf8').catch(() => null);
    if (weights) {
      // The optimizer's slots must exist before its state can be loaded into them.
      if (model.optimizer && !model.optimizer.built) model.optimizer.build(model.trainableWeights);
      await model.loadWeights(paths.weights);
    }
    if (metadataText !== null) {
      const metadata = JSON.parse(metadataText) as TrainingMetadata;
      let epoch = metadata.epoch;
      if (metadata.weights_sha256 !== undefined) {
        const digest = weights ? await sha256(weights) : null;
        if (digest !== metadata.weights_sha256) {
          // Killed between the two writes: the weights on disk are still the previous backup's (or,
          // after the very first backup's metadata, there are none yet).
          const previous = metadata.previous ?? null;
          if (previous && digest === previous.weights_sha256) epoch = previous.epoch;
          else if (!previous && digest === null) epoch = 0;
        }
        if (digest !== null) this.lastSaved = { epoch, batch: metadata.batch, weights_sha256: digest };
      }
      if (!Number.isInteger(epoch) || epoch < 0) {
        throw new ValueError(
          `The backup in '${this.backupDir}' is damaged: training_metadata.json has epoch=${epoch}.`,
        );
      }
      this.currentEpoch = epoch;
      // fit reads this after onTrainBegin; like Keras's `_initial_epoch or initial_epoch`, 0 defers to fit's own.
      if (epoch > 0) model._initialEpoch = epoch;
    }
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    this.currentEpoch = epoch + 1;
    this.batches.lastBatchSeen = 0;
    if (this.saveFreq === 'epoch') await this.save();
  }

  override async onTrainBatchEnd(batch: number): Promise<void> {
    if (this.batches.shouldSaveOnBatch(batch)) await this.save();
  }

  private async save(): Promise<void> {
    const files = await import('./atomic-write.js');
    const paths = await this.paths();
    let bytes: Uint8Array | null = null;
    await this.model!.saveWeights(
      {
        async write(saved: { name: string; data: Uint8Array }[]) {
          bytes = saved[0].data;
        },
      },
      { overwrite: true },
    );
    if (!bytes) throw new RuntimeError('Saving the weights produced no file.');
    const digest = await sha256(bytes);
    const metadata: TrainingMetadata = {
      epoch: this.currentEpoch,
      batch: this.batches.lastBatchSeen,
      weights_sha256: digest,
      previous: this.lastSaved,
    };
    await files.writeFileAtomic(paths.metadata, JSON.stringify(metadata));
    await files.writeFileAtomic(paths.weights, bytes);
    this.lastSaved = { epoch: metadata.epoch, batch: metadata.batch, weights_sha256: digest };
  }

  override async onTrainEnd(): Promise<void> {
    const model = this.model!;
    // The resume point applies to this fit only.
    model._initialEpoch = null;
    if (this.deleteCheckpoint) {
      const fs = await import('node:fs/promises');
      await fs.rm(this.backupDir, { recursive: true, force: true });
    }
  }

  getConfig(): Record<string, unknown> {
    return { backupDir: this.backupDir, saveFreq: this.saveFreq, deleteCheckpoint: this.deleteCheckpoint };
  }
}

async function sha256(data: Uint8Array): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(data).digest('hex');
}

register('callback', 'BackupAndRestore', BackupAndRestore, { aliases: ['backup_and_restore'] });
