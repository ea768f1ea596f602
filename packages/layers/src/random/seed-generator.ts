import { ValueError } from '@strata/core';

/**
 * A stream of seeds for random layers (Keras's `SeedGenerator`): a seeded layer draws a reproducible
 * sequence, different at each call; an unseeded one lets tfjs pick (undefined seed).
 */
export class SeedGenerator {
  private calls = 0;

  constructor(readonly seed: number | null) {
    if (seed !== null && !Number.isInteger(seed)) {
      throw new ValueError(`\`seed\` must be an integer or null. Received: seed=${JSON.stringify(seed)}`);
    }
  }

  next(): number | undefined {
    if (this.seed === null) return undefined;
    return this.seed + 1_000_003 * this.calls++;
  }
}

/** Keras's rate check for dropout-like layers: a number in [0, 1). */
export function validateRate(rate: unknown): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new ValueError(
      `Invalid value received for argument \`rate\`. Expected a float value between 0 and 1. Received: rate=${rate}`,
    );
  }
  return rate;
}
