import { registry } from '@strata/core';

import type { ActivationFn } from './index.js';

/** The activations tfjs's fused matMul and convolution kernels apply themselves. */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu';

/** Keras 3's default slope for `leaky_relu`, which the fused kernel takes as an argument. */
export const LEAKY_RELU_SLOPE = 0.2;

const FUSABLE: [string, FusedActivation][] = [
  ['linear', 'linear'],
  ['relu', 'relu'],
  ['relu6', 'relu6'],
  ['elu', 'elu'],
  ['sigmoid', 'sigmoid'],
  ['leaky_relu', 'leakyrelu'],
];

/**
 * The fused-kernel name of an activation when it is exactly the registered built-in of that name (so the
 * kernel computes what Keras would), or null when the activation must run after the matMul or convolution. Under
 * a gradient tape tfjs itself falls back to separate ops for every fused activation but linear, so all of
 * these still train.
 */
export function fusedActivationOf(fn: ActivationFn): FusedActivation | null {
  for (const [name, fused] of FUSABLE) if (registry.find('activation', name)?.value === fn) return fused;
  return null;
}
