import type { ModelLike } from './weights/model-shape.js';

interface Compilable {
  compileFromConfig?(config: Record<string, unknown>): void;
}

/**
 * Compiles a loaded model from the compile_config in its file, as Keras's `load_model(compile=True)` does.
 * As in Keras, a model whose compile settings cannot be rebuilt (say, its optimizer's package is not
 * imported) is still returned, uncompiled, with a warning that says why.
 */
export function compileFromFile(
  model: ModelLike,
  config: unknown,
  warn: (message: string) => void = console.warn,
): boolean {
  // Keras writes `{}` for a model that was never compiled, and compiles only from a non-empty config.
  if (!config || typeof config !== 'object' || Object.keys(config).length === 0) return false;
  const m = model as unknown as Compilable;
  if (typeof m.compileFromConfig !== 'function') return false;
  try {
    m.compileFromConfig(config as Record<string, unknown>);
    return true;
  } catch (e) {
    warn(
      `The model was loaded uncompiled: compile() from the file's compile_config failed: ${(e as Error).message}`,
    );
    return false;
  }
}

/** Keras 2's training_config (legacy .h5) as Keras 3 compile_config. */
export function compileConfigFromTrainingConfig(training: Record<string, unknown>): Record<string, unknown> {
  const { optimizer_config, ...rest } = training;
  return { ...rest, optimizer: optimizer_config ?? 'rmsprop' };
}
