import { ValueError } from '@strata/core';

/** Where a hyperparameter must lie; the string is also what the error message shows. */
export type Interval = '[0, 1)' | '[0, 1]' | '(0, 1]';

/** Fails unless `value` is a number in `interval`; `key` is the Keras argument name (`beta_1`). */
export function checkInInterval(key: string, value: unknown, interval: Interval): number {
  const ok =
    typeof value === 'number' &&
    (interval[0] === '[' ? value >= 0 : value > 0) &&
    (interval[interval.length - 1] === ']' ? value <= 1 : value < 1);
  if (!ok)
    throw new ValueError(
      `Argument \`${key}\` must be in the range ${interval}. Received: ${key}=${String(value)}`,
    );
  return value as number;
}

/** Fails unless `value` is a finite number >= 0. */
export function checkNonNegative(key: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new ValueError(
      `Argument \`${key}\` must be a non-negative number. Received: ${key}=${String(value)}`,
    );
  }
  return value;
}

/** Fails unless `value` is a finite number > 0. */
export function checkPositive(key: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new ValueError(`Argument \`${key}\` must be > 0. Received: ${key}=${String(value)}`);
  }
  return value;
}

/** Adam's moment arguments (`beta1`, `beta2`, `epsilon`), shared by Adam, Adamax and Nadam. */
export interface MomentArgs {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Checks Adam-family moment arguments before the optimizer is made, with Keras's defaults (0.9, 0.999, 1e-7);
 * the result is assigned onto the optimizer.
 */
export function checkMomentArgs(args: MomentArgs): Required<MomentArgs> {
  return {
    beta1: checkInInterval('beta_1', args.beta1 ?? 0.9, '[0, 1)'),
    beta2: checkInInterval('beta_2', args.beta2 ?? 0.999, '[0, 1)'),
    epsilon: checkNonNegative('epsilon', args.epsilon ?? 1e-7),
  };
}
