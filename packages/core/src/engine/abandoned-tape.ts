import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  saved?: tf.Tensor[];
}

interface EngineState {
  activeTape: TapeNode[] | null;
  gradientDepth: number;
}

/**
 * Releases what a gradient computation left behind when its forward function threw. tfjs ends the tape
 * scope on the way out but keeps the recorded nodes, whose saved tensors were kept outside every tidy, and
 * leaves the tape in place for the next computation to drop without disposing them. Called after an
 * exception escapes `tf.variableGrads` (only when no outer gradient computation is still running).
 */
export function discardAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) if (node.saved) tf.dispose(node.saved);
  state.activeTape = null;
}
