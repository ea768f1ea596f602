/**
 * Keras's batch counting for `save_freq` in the callbacks that save during training (ModelCheckpoint,
 * BackupAndRestore): with an integer `saveFreq`, a save every `saveFreq` batches, counted across epochs
 * (a batch index that goes back means a new epoch has begun); with 'epoch', never on a batch.
 */
export class BatchSaveCounter {
  /** The index of the last batch counted. */
  lastBatchSeen = 0;
  private batchesSinceLastSave = 0;

  constructor(private readonly saveFreq: 'epoch' | number) {}

  /** Starts counting afresh (at the start of training). */
  reset(): void {
    this.batchesSinceLastSave = 0;
    this.lastBatchSeen = 0;
  }

  /** Counts the batch that just ended; true when `saveFreq` batches have ended since the last save. */
  shouldSaveOnBatch(batch: number): boolean {
    if (this.saveFreq === 'epoch') return false;
    const added = batch <= this.lastBatchSeen ? batch + 1 : batch - this.lastBatchSeen;
    this.batchesSinceLastSave += added;
    this.lastBatchSeen = batch;
    if (this.batchesSinceLastSave >= this.saveFreq) {
      this.batchesSinceLastSave = 0;
      return true;
    }
    return false;
  }
}
