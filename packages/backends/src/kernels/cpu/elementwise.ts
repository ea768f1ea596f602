/**
 * The element-wise kernels of a convolution's training step on tfjs-backend-cpu, each one loop over the
 * values: `Add` and `Multiply` where one operand is the other's shape or repeats along its leading axes
 * (a bias over channels, a scalar), `Relu`, and `Step` (relu's gradient is `dy · step(x)`).
 *
 * Why hand-written: tfjs fuses a convolution's bias and relu only outside a gradient tape, so a Conv2D
 * layer's training step runs them, and relu's gradient, as separate kernels over the whole activation.
 * tfjs-backend-cpu 4.22 computes a broadcast `Add` through an index-to-coordinates conversion per element
 * and calls a closure per element in the others: after the convolutions moved to the GEMM these four
 * were ~30% of the MNIST convnet's step. The results are the same float32 values tfjs computes. Other
 * shapes and dtypes stay with tfjs's kernels.
 */
import type { StepAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';

import type { Backend } from '../wasm/call-kernel.js';
import { reluIf } from './bias-relu.js';
import { floatFix } from './float-fix.js';
import { type CpuData, valuesOf } from './mat-mul.js';
import { outputArray } from './output-pool.js';

/**
 * Whether `small` broadcasts against `big` by repetition: its shape, less leading 1s, is the end of
 * `big`'s, so element `i` of the result pairs `big[i]` with `small[i mod small.size]`.
 */
function repeatsAlong(big: TensorInfo, small: TensorInfo): boolean {
  const { shape } = small;
  if (shape.length > big.shape.length) return false;
  let first = 0;
  while (first < shape.length && shape[first] === 1) first++;
  const tail = shape.length - first;
  for (let i = 0; i < tail; i++) {
    if (shape[first + i] !== big.shape[big.shape.length - tail + i]) return false;
  }
  return true;
}

type Combine = (big: Float32Array, small: Float32Array, out: Float32Array) => void;

/** A binary kernel for operands where one repeats along the other (see `repeatsAlong`); null otherwise. */
function repeatedBinary(combine: Combine) {
  return ({ inputs, backend }: { inputs: unknown; backend: unknown }): TensorInfo | null => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const [big, small] = util.sizeFromShape(a.shape) >= util.sizeFromShape(b.shape) ? [a, b] : [b, a];
    if (!repeatsAlong(big, small)) return null;
    const cpu = backend as Backend;
    const bigValues = valuesOf(cpu, big);
    const out = outputArray(cpu, bigValues.length);
    // Both operations here are commutative, so which input was first does not matter.
    combine(bigValues, valuesOf(cpu, small), out);
    return (cpu as unknown as CpuData).makeTensorInfo(big.shape.slice(), 'float32', out);
  };
}

const add: Combine = (big, small, out) => {
  const period = small.length;
  if (period === 1) {
    const s = small[0];
    for (let i = 0; i < big.length; i++) out[i] = big[i] + s;
    return;
  }
  for (let row = 0; row < big.length; row += period) {
    for (let j = 0; j < period; j++) out[row + j] = big[row + j] + small[j];
  }
};

const multiply: Combine = (big, small, out) => {
  const period = small.length;
  if (period === 1) {
    const s = small[0];
    for (let i = 0; i < big.length; i++) out[i] = big[i] * s;
    return;
  }
  for (let row = 0; row < big.length; row += period) {
    for (let j = 0; j < period; j++) out[row + j] = big[row + j] * small[j];
  }
};

export const cpuAddFix = floatFix('Add', repeatedBinary(add), ['a', 'b']);
export const cpuMultiplyFix = floatFix('Multiply', repeatedBinary(multiply), ['a', 'b']);

/** A unary float32 kernel: `map` writes every output value from the input's. */
function unary(map: (x: Float32Array, out: Float32Array, attrs: unknown) => void) {
  return ({ inputs, backend, attrs }: { inputs: unknown; backend: unknown; attrs?: unknown }) => {
    const { x } = inputs as { x: TensorInfo };
    const cpu = backend as Backend;
    const values = valuesOf(cpu, x);
    const out = outputArray(cpu, values.length);
    map(values, out, attrs);
    return (cpu as unknown as CpuData).makeTensorInfo(x.shape.slice(), 'float32', out);
  };
}

/**
 * `max(0, x)`, NaN kept, as `Math.max(0, x)` (which tfjs calls per element) gives; without a branch on
 * the value (`reluIf`), which mispredicts on activations of both signs.
 */
export const cpuReluFix = floatFix(
  'Relu',
  unary((x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = reluIf(x[i], true);
  }),
  ['x'],
);

/** 1 where `x > 0`, `alpha` elsewhere, NaN kept. */
export const cpuStepFix = floatFix(
  'Step',
  unary((x, out, attrs) => {
    const { alpha } = attrs as StepAttrs;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v > 0 ? 1 : Number.isNaN(v) ? v : alpha;
    }
  }),
  ['x'],
);
