import {
  type ConstraintIdentifier,
  type KerasObjectJSON,
  resolveIdentifier,
  serializeKerasObject,
} from '@strata/core';

import type { Constraint } from './constraints.js';

export {
  Constraint,
  MaxNorm,
  type MaxNormArgs,
  MinMaxNorm,
  type MinMaxNormArgs,
  NonNeg,
  UnitNorm,
  type UnitNormArgs,
} from './constraints.js';

/** Keras's `constraints.get`: a registered name, an instance or Keras JSON; null stays null. */
export function getConstraint(identifier: ConstraintIdentifier | null | undefined): Constraint | null {
  return resolveIdentifier<Constraint>('constraint', identifier);
}

/** Keras's `constraints.serialize`, or null for no constraint. */
export function serializeConstraint(constraint: Constraint | null): KerasObjectJSON | null {
  return constraint == null ? null : serializeKerasObject('constraint', constraint);
}

declare module '@strata/core' {
  interface ConstraintIds {
    max_norm: true;
    min_max_norm: true;
    non_neg: true;
    unit_norm: true;
    MaxNorm: true;
    MinMaxNorm: true;
    NonNeg: true;
    UnitNorm: true;
  }
}
