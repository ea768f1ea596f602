/**
 * `StrataAdamUpdate`: Adam's whole per-weight update in one pass over the elements, for backends whose
 * tensors live in host-visible memory (cpu, wasm). The composite update is about a dozen element-wise
 * kernels per weight and step, each a full pass with its own output; this kernel reads each element once.
 *
 * The contract with `@strata/optimizers` (which does not depend on this package) is declared in core
 * (`StrataAdamUpdate`, `StrataAdamUpdateInputs`, `StrataAdamUpdateAttrs`): the optimizer's `Adam` calls
 * it when it is registered for the active backend and keeps its composite path otherwise.
 */
import {
  StrataAdamUpdate,
  type StrataAdamUpdateAttrs,
  type StrataAdamUpdateInputs,
  ValueError,
} from '@strata/core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

const INPUT_NAMES: readonly (keyof StrataAdamUpdateInputs)[] = ['variable', 'gradient', 'm', 'v'];
const ATTR_NAMES: readonly (keyof StrataAdamUpdateAttrs)[] = ['alpha', 'beta1', 'beta2', 'epsilon'];

/** Checks the kernel's inputs and attrs, with errors that name the kernel and what was received. */
export function checkAdamUpdateArgs(
  inputs: Record<string, TensorInfo | undefined>,
  attrs: Record<string, unknown>,
): { inputs: StrataAdamUpdateInputs; attrs: StrataAdamUpdateAttrs } {
  for (const name of INPUT_NAMES) {
    const t = inputs[name];
    if (t == null) {
      throw new ValueError(
        `${StrataAdamUpdate} needs the inputs variable, gradient, m and v. Received: no '${name}'`,
      );
    }
    if (t.dtype !== 'float32') {
      throw new ValueError(
        `${StrataAdamUpdate} supports float32 tensors only. Received: ${name} dtype=${t.dtype}`,
      );
    }
  }
  const ins = inputs as unknown as StrataAdamUpdateInputs;
  const shape = ins.variable.shape;
  const same = (s: readonly number[]) => s.length === shape.length && s.every((d, i) => d === shape[i]);
  if (!INPUT_NAMES.every((name) => same(ins[name].shape))) {
    const received = INPUT_NAMES.map((name) => `${name}=[${ins[name].shape.join(', ')}]`).join(', ');
    throw new ValueError(
      `${StrataAdamUpdate} needs variable, gradient, m and v of one shape. Received: ${received}`,
    );
  }
  for (const name of ATTR_NAMES) {
    if (typeof attrs[name] !== 'number' || !Number.isFinite(attrs[name])) {
      throw new ValueError(
        `${StrataAdamUpdate} needs a finite number attr '${name}'. Received: ${name}=${attrs[name]}`,
      );
    }
  }
  return { inputs: ins, attrs: attrs as unknown as StrataAdamUpdateAttrs };
}

/**
 * Keras 3's Adam update for every element, written to `outW`, `outM`, `outV`:
 * `m' = m + (g - m)·(1 - β1)`, `v' = v + (g² - v)·(1 - β2)`, `w' = w - α·m' / (√v' + ε)`.
 * Each operation is rounded to float32 where the composite's kernels round it (their scalars are float32
 * tensors too), so the result is the composite's to the last bit (checked on tfjs 4.22's cpu and wasm
 * kernels; the tests allow 1e-6 relative).
 */
export function adamUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  outW: Float32Array,
  outM: Float32Array,
  outV: Float32Array,
  { alpha, beta1, beta2, epsilon }: StrataAdamUpdateAttrs,
): void {
  const f = Math.fround;
  const keepM = f(1 - beta1);
  const keepV = f(1 - beta2);
  const a = f(alpha);
  const eps = f(epsilon);
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = m[i];
    const vi = v[i];
    const mNew = f(mi + f(f(gi - mi) * keepM));
    const vNew = f(vi + f(f(f(gi * gi) - vi) * keepV));
    outM[i] = mNew;
    outV[i] = vNew;
    // The Float32Array store rounds the last subtraction.
    outW[i] = w[i] - f(f(mNew * a) / f(f(Math.sqrt(vNew)) + eps));
  }
}
