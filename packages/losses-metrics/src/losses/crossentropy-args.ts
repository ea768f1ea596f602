/**
 * The `fromLogits` / `labelSmoothing` / `axis` triple shared by the crossentropy losses and metrics: one place
 * for the Keras defaults and the config keys, so every crossentropy class resolves and writes them alike.
 */

export interface CrossentropyArgs {
  /** Whether `yPred` holds logits rather than probabilities. Default false. */
  fromLogits?: boolean;
  /** In [0, 1]: how far targets are pulled towards uniform. Default 0. */
  labelSmoothing?: number;
  /** The class axis (or the axis averaged over, for binary targets). Default -1. */
  axis?: number;
}

export interface CrossentropyOptions {
  fromLogits: boolean;
  labelSmoothing: number;
  axis: number;
}

/** Splits the crossentropy options, with Keras's defaults filled in, from the remaining arguments. */
export function splitCrossentropyArgs<T extends CrossentropyArgs>(
  args: T,
): [CrossentropyOptions, Omit<T, keyof CrossentropyArgs>] {
  const { fromLogits = false, labelSmoothing = 0, axis = -1, ...rest } = args;
  return [{ fromLogits, labelSmoothing, axis }, rest];
}

/** The options as config entries, in Keras's key order. */
export function crossentropyConfig(options: CrossentropyOptions): Record<string, unknown> {
  return { fromLogits: options.fromLogits, labelSmoothing: options.labelSmoothing, axis: options.axis };
}
