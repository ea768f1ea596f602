/** Moving values between the step layouts (types.ts's `StepLayout`): Keras's channels-last and ONNX's NCHW. */
import type { StepLayout } from './types.js';

/** The `Transpose` permutation from layout `from` to `to` of a rank-4 value (null when they agree). */
export function layoutPerm(from: StepLayout, to: StepLayout): number[] | null {
  if (from === to) return null;
  return to === 'nchw' ? [0, 3, 1, 2] : [0, 2, 3, 1];
}

/** A shape given in layout `from`, in layout `to` (shapes of rank other than 4 are the same in both). */
export function shapeIn(shape: readonly number[], from: StepLayout, to: StepLayout): number[] {
  const perm = shape.length === 4 ? layoutPerm(from, to) : null;
  return perm ? perm.map((axis) => shape[axis]) : [...shape];
}
