/**
 * The initializer / regularizer / constraint triple every weight-owning layer (Dense, EinsumDense, the
 * convolutions) takes per weight, e.g. `kernelInitializer`, `kernelRegularizer`, `kernelConstraint`. One place
 * resolves the identifiers, hands them to `addWeight` and writes them back to the config in Keras's key order.
 */
import type { ConstraintIdentifier, InitializerIdentifier, RegularizerIdentifier } from '@strata/core';

import { type Constraint, getConstraint, serializeConstraint } from '../constraints/index.js';
import { getInitializer, type Initializer, serializeInitializer } from '../initializers/index.js';
import { getRegularizer, type Regularizer, serializeRegularizer } from '../regularizers/index.js';

/** The constructor arguments for the weights named `P`. */
export type WeightArgs<P extends string> = {
  [K in P as `${K}Initializer`]?: InitializerIdentifier | null;
} & {
  [K in P as `${K}Regularizer`]?: RegularizerIdentifier | null;
} & {
  [K in P as `${K}Constraint`]?: ConstraintIdentifier | null;
};

/** The same, resolved: the fields a layer keeps. */
export type ResolvedWeightArgs<P extends string> = {
  [K in P as `${K}Initializer`]: Initializer;
} & {
  [K in P as `${K}Regularizer`]: Regularizer | null;
} & {
  [K in P as `${K}Constraint`]: Constraint | null;
};

/** What `addWeight` takes for one weight. */
export interface WeightSettings {
  initializer: Initializer;
  regularizer: Regularizer | null;
  constraint: Constraint | null;
}

type Fields = Record<string, unknown>;

/**
 * Resolves the triple of every weight in `defaults` (weight name -> default initializer; regularizers and
 * constraints default to none), ready to assign onto the layer.
 */
export function resolveWeightArgs<P extends string>(
  args: WeightArgs<P>,
  defaults: Record<P, InitializerIdentifier>,
): ResolvedWeightArgs<P> {
  const given = args as Fields;
  const resolved: Fields = {};
  for (const name of Object.keys(defaults) as P[]) {
    resolved[`${name}Initializer`] = getInitializer(
      (given[`${name}Initializer`] as InitializerIdentifier | null | undefined) ?? defaults[name],
    );
    resolved[`${name}Regularizer`] = getRegularizer(
      given[`${name}Regularizer`] as RegularizerIdentifier | null,
    );
    resolved[`${name}Constraint`] = getConstraint(given[`${name}Constraint`] as ConstraintIdentifier | null);
  }
  return resolved as ResolvedWeightArgs<P>;
}

/** The initializer, regularizer and constraint of the weight `name`, as `addWeight` options. */
export function weightSettings<P extends string>(layer: ResolvedWeightArgs<P>, name: P): WeightSettings {
  const fields = layer as unknown as Fields;
  return {
    initializer: fields[`${name}Initializer`] as Initializer,
    regularizer: fields[`${name}Regularizer`] as Regularizer | null,
    constraint: fields[`${name}Constraint`] as Constraint | null,
  };
}

/**
 * The config entries in Keras's order: every initializer, every regularizer, the activity regularizer
 * (unless `includeActivity` is false), then every constraint, each group in the order of `names`.
 */
export function serializeWeightArgs<P extends string>(
  layer: ResolvedWeightArgs<P> & { activityRegularizer: Regularizer | null },
  names: readonly P[],
  includeActivity = true,
): Record<string, unknown> {
  const fields = layer as unknown as Fields;
  const config: Fields = {};
  for (const name of names)
    config[`${name}Initializer`] = serializeInitializer(fields[`${name}Initializer`] as Initializer);
  for (const name of names) {
    config[`${name}Regularizer`] = serializeRegularizer(fields[`${name}Regularizer`] as Regularizer | null);
  }
  if (includeActivity) config.activityRegularizer = serializeRegularizer(layer.activityRegularizer);
  for (const name of names) {
    config[`${name}Constraint`] = serializeConstraint(fields[`${name}Constraint`] as Constraint | null);
  }
  return config;
}
