import {
  type InitializerIdentifier,
  type KerasObjectJSON,
  resolveIdentifier,
  serializeKerasObject,
} from '@strata/core';

import type { Initializer } from './initializer.js';

export { computeFans } from './compute-fans.js';
export {
  Constant,
  type ConstantArgs,
  Identity,
  type IdentityArgs,
  Ones,
  Zeros,
} from './constant-initializers.js';
export { Initializer } from './initializer.js';
export {
  type FanAxesArgs,
  type FanMode,
  GlorotNormal,
  GlorotUniform,
  HeNormal,
  HeUniform,
  LecunNormal,
  LecunUniform,
  Orthogonal,
  type OrthogonalArgs,
  OrthogonalInitializer,
  RandomInitializer,
  RandomNormal,
  type RandomNormalArgs,
  RandomUniform,
  type RandomUniformArgs,
  type ScalingDistribution,
  type SeedArgs,
  TruncatedNormal,
  VarianceScaling,
  type VarianceScalingArgs,
} from './random-initializers.js';

/** Keras's `initializers.get`: a registered name, an instance or Keras JSON, resolved through the registry. */
export function getInitializer(identifier: InitializerIdentifier): Initializer;
export function getInitializer(identifier: InitializerIdentifier | null | undefined): Initializer | null;
export function getInitializer(identifier: InitializerIdentifier | null | undefined): Initializer | null {
  return resolveIdentifier<Initializer>('initializer', identifier);
}

/** Keras's `initializers.serialize`: `{module, class_name, config, registered_name}`. */
export function serializeInitializer(initializer: Initializer | null): KerasObjectJSON | null {
  return initializer == null ? null : serializeKerasObject('initializer', initializer);
}

declare module '@strata/core' {
  interface InitializerIds {
    zeros: true;
    zero: true;
    ones: true;
    one: true;
    constant: true;
    identity: true;
    random_normal: true;
    normal: true;
    random_uniform: true;
    uniform: true;
    truncated_normal: true;
    variance_scaling: true;
    glorot_uniform: true;
    glorot_normal: true;
    he_uniform: true;
    he_normal: true;
    lecun_uniform: true;
    lecun_normal: true;
    orthogonal: true;
    glorotUniform: true;
    glorotNormal: true;
    heUniform: true;
    heNormal: true;
    lecunUniform: true;
    lecunNormal: true;
    randomNormal: true;
    randomUniform: true;
    truncatedNormal: true;
    varianceScaling: true;
    Zeros: true;
    Ones: true;
    Constant: true;
    Identity: true;
    RandomNormal: true;
    RandomUniform: true;
    TruncatedNormal: true;
    VarianceScaling: true;
    GlorotUniform: true;
    GlorotNormal: true;
    HeUniform: true;
    HeNormal: true;
    LecunUniform: true;
    LecunNormal: true;
    Orthogonal: true;
    OrthogonalInitializer: true;
  }
}
