import {
  type KerasObjectJSON,
  type RegularizerIdentifier,
  resolveIdentifier,
  serializeKerasObject,
} from '@strata/core';

import type { Regularizer } from './regularizers.js';

export { L1, type L1Args, L1L2, type L1L2Args, L2, type L2Args, Regularizer } from './regularizers.js';

/** Keras's `regularizers.get`: a registered name, an instance or Keras JSON; null stays null. */
export function getRegularizer(identifier: RegularizerIdentifier | null | undefined): Regularizer | null {
  return resolveIdentifier<Regularizer>('regularizer', identifier);
}

/** Keras's `regularizers.serialize`, or null for no regularizer. */
export function serializeRegularizer(regularizer: Regularizer | null): KerasObjectJSON | null {
  return regularizer == null ? null : serializeKerasObject('regularizer', regularizer);
}

declare module '@strata/core' {
  interface RegularizerIds {
    l1: true;
    l2: true;
    l1_l2: true;
    L1: true;
    L2: true;
    L1L2: true;
  }
}
