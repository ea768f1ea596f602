import { Callback, type Logs, register, ValueError } from '@strata/core';

type Hook<A extends unknown[]> = (...args: A) => void | Promise<void>;
type EpochHook = Hook<[epoch: number, logs?: Logs]>;
type BatchHook = Hook<[batch: number, logs?: Logs]>;
type PhaseHook = Hook<[logs?: Logs]>;

/** One optional function per callback hook. */
export interface LambdaCallbackArgs {
  onEpochBegin?: EpochHook;
  onEpochEnd?: EpochHook;
  onTrainBegin?: PhaseHook;
  onTrainEnd?: PhaseHook;
  onTrainBatchBegin?: BatchHook;
  onTrainBatchEnd?: BatchHook;
  onTestBegin?: PhaseHook;
  onTestEnd?: PhaseHook;
  onTestBatchBegin?: BatchHook;
  onTestBatchEnd?: BatchHook;
  onPredictBegin?: PhaseHook;
  onPredictEnd?: PhaseHook;
  onPredictBatchBegin?: BatchHook;
  onPredictBatchEnd?: BatchHook;
}

const HOOKS = [
  'onEpochBegin',
  'onEpochEnd',
  'onTrainBegin',
  'onTrainEnd',
  'onTrainBatchBegin',
  'onTrainBatchEnd',
  'onTestBegin',
  'onTestEnd',
  'onTestBatchBegin',
  'onTestBatchEnd',
  'onPredictBegin',
  'onPredictEnd',
  'onPredictBatchBegin',
  'onPredictBatchEnd',
] as const;

/**
 * A callback made of plain functions (Keras's `LambdaCallback`). Batch hooks receive logs whose values
 * are read from the device only when the function reads them.
 *
 * Keras: `keras.callbacks.LambdaCallback`
 *
 * @example
 * ```ts
 * const printer = new LambdaCallback({ onEpochEnd: (epoch, logs) => console.log(epoch, logs?.loss) });
 * ```
 */
export class LambdaCallback extends Callback {
  static override className = 'LambdaCallback';

  constructor(args: LambdaCallbackArgs = {}) {
    super();
    for (const key of Object.keys(args)) {
      if (!(HOOKS as readonly string[]).includes(key)) {
        throw new ValueError(
          `LambdaCallback got an unknown hook '${key}'. Expected one of: ${HOOKS.join(', ')}.`,
        );
      }
    }
    for (const hook of HOOKS) {
      const fn = args[hook];
      if (fn === undefined) continue;
      if (typeof fn !== 'function') {
        throw new ValueError(
          `LambdaCallback's \`${hook}\` must be a function. Received: ${hook}=${String(fn)}`,
        );
      }
      // An own property shadows the base class's no-op, so the engine sees that this hook is used.
      (this as unknown as Record<string, unknown>)[hook] = fn;
    }
  }
}

register('callback', 'LambdaCallback', LambdaCallback, { aliases: ['lambda_callback'] });
