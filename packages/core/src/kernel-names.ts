/**
 * Kernels that Strata's packages call through tfjs's kernel registry without depending on each other:
 * one package registers the kernel for a backend (`@strata/backends`), another runs it when it is
 * registered (`@strata/optimizers`). Each contract is declared here once, as tfjs-core's
 * `kernel_names.ts` declares its own: the name, the inputs and the attrs.
 *
 * @module
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Adam's whole update of one weight in one pass over its elements (Keras 3's rule, see `Adam`):
 * `m' = m + (g - m)(1 - beta1)`, `v' = v + (g^2 - v)(1 - beta2)`, `w' = w - alpha m' / (sqrt(v') + epsilon)`.
 * Its outputs are `[variable, m, v]` after the update. `@strata/backends` registers it for cpu, wasm and
 * webgl; `@strata/optimizers`' `Adam` runs it where it is registered and keeps its composite path elsewhere.
 *
 * @example
 * ```ts
 * const attrs: StrataAdamUpdateAttrs = { alpha: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
 * const fused = tf.getKernel(StrataAdamUpdate, tf.getBackend()) != null; // after importing @strata/backends
 * ```
 */
export const StrataAdamUpdate = 'StrataAdamUpdate';
/** The name of the `StrataAdamUpdate` kernel, as a type. */
export type StrataAdamUpdate = typeof StrataAdamUpdate;

/** `StrataAdamUpdate`'s inputs: four float32 tensors of one shape (the weight, its gradient and both moments). */
export interface StrataAdamUpdateInputs {
  variable: TensorInfo;
  gradient: TensorInfo;
  m: TensorInfo;
  v: TensorInfo;
}

/** `StrataAdamUpdate`'s attrs; `alpha` is the step size with Adam's bias correction already folded in. */
export interface StrataAdamUpdateAttrs {
  alpha: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}
