/** Command-line flags of the terminal demo, parsed and checked before any tensor work starts. */
import { statSync } from 'node:fs';
import path from 'node:path';

export type ModelKind = 'cnn' | 'mlp';
export type BackendChoice = 'auto' | 'native' | 'wasm' | 'cpu';

export interface CliOptions {
  model: ModelKind;
  /** Most epochs to train; without --epochs, the model's default (see DEFAULT_EPOCHS). */
  epochs: number;
  backend: BackendChoice;
  /** Training digits to use, from the start of the 60,000; undefined: all. */
  samples: number | undefined;
  batchSize: number;
  /** Where the trained model is saved (and loaded back from), as given: see `resolveSavePath`. */
  save: string;
  /** How many test digits to predict with the reloaded model. */
  predict: number;
  help: boolean;
}

/** Epochs when --epochs is not given: enough for the convnet to pass 98.5% test accuracy (see README). */
export const DEFAULT_EPOCHS: Record<ModelKind, number> = { cnn: 5, mlp: 10 };

export const USAGE = `Usage: pnpm demo [options]

Trains a Keras MNIST model in the terminal: summary, training with a progress bar and early stopping,
test accuracy, then save to a .keras file, load it back and predict a few test digits.

Options:
  --model cnn|mlp      the Keras convnet example (default) or a two-layer perceptron
  --epochs N           most epochs to train (default: cnn ${DEFAULT_EPOCHS.cnn}, mlp ${DEFAULT_EPOCHS.mlp}); early stopping may end sooner
  --backend NAME       auto (default: the fastest available), native, wasm or cpu
  --samples N          train on the first N of the 60000 training digits (for a quick run)
  --batch-size N       default 128
  --save FILE          where to save the trained model (default mnist.keras), relative to the folder
                       you ran the command in; that folder must exist
  --predict N          test digits to predict with the reloaded model (default 10)
  --help               show this text`;

export class CliError extends Error {
  override name = 'CliError';
}

function positiveInt(flag: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`;
    throw new CliError(`${flag} must be ${range}. Received: ${flag}=${value}`);
  }
  return n;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError(`${flag} must be one of ${allowed.join(', ')}. Received: ${flag}=${value}`);
  }
  return value as T;
}

/** Parses `--flag value` and `--flag=value` forms; a bare `--` (which some pnpm versions pass on) is skipped. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  let help = false;
  const known = ['--model', '--epochs', '--backend', '--samples', '--batch-size', '--save', '--predict'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(flag)) throw new CliError(`Unknown option ${arg}. Run with --help for the options.`);
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new CliError(`${flag} needs a value. Run with --help for the options.`);
    }
    value = value.trim();
    values.set(flag, value);
  }
  const get = (flag: string) => values.get(flag);
  const model = oneOf('--model', get('--model') ?? 'cnn', ['cnn', 'mlp'] as const);
  return {
    model,
    epochs: get('--epochs') ? positiveInt('--epochs', get('--epochs')!) : DEFAULT_EPOCHS[model],
    backend: oneOf('--backend', get('--backend') ?? 'auto', ['auto', 'native', 'wasm', 'cpu'] as const),
    samples: get('--samples') ? positiveInt('--samples', get('--samples')!, 60000) : undefined,
    batchSize: get('--batch-size') ? positiveInt('--batch-size', get('--batch-size')!) : 128,
    save: get('--save') ?? 'mnist.keras',
    predict: get('--predict') ? positiveInt('--predict', get('--predict')!, 10000) : 10,
    help,
  };
}

/**
 * The absolute path `--save` names. A relative one is taken from the folder the user ran the command in:
 * `pnpm demo` runs the script inside apps/demo, and pnpm passes the user's folder as INIT_CWD.
 */
export function resolveSavePath(
  save: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string {
  return path.resolve(env.INIT_CWD || cwd, save);
}

/**
 * Fails, before any training, when the folder to save into does not exist or is not a folder. Like
 * `model.save` (and Keras), the demo never creates folders.
 */
export function checkSaveFolder(file: string, given: string): void {
  const dir = path.dirname(file);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new CliError(
      `--save must name a file in an existing folder; '${dir}' does not exist or is not a folder. Create it first. Received: --save=${given}`,
    );
  }
}
