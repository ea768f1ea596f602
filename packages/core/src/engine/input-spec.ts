import { formatShape, ValueError } from '../errors.js';
import type { Shape } from './shape.js';

/** What a layer accepts (Keras's `InputSpec`): rank bounds and fixed axis sizes. */
export interface InputSpec {
  ndim?: number;
  minNdim?: number;
  maxNdim?: number;
  /** Fixed sizes by axis; negative axes count from the end. */
  axes?: Record<number, number>;
  dtype?: string;
}

/** Checks input shapes against specs, failing in Keras's words with the layer name and both shapes. */
export function assertInputCompatibility(
  specs: InputSpec | InputSpec[] | null | undefined,
  shapes: Shape[],
  layerName: string,
): void {
  if (!specs) return;
  const list = Array.isArray(specs) ? specs : [specs];
  if (list.length !== shapes.length) {
    throw new ValueError(
      `Layer "${layerName}" expects ${list.length} input(s), but it received ${shapes.length} input tensors.`,
    );
  }
  list.forEach((spec, i) => {
    const shape = shapes[i];
    const head = `Input ${i} of layer "${layerName}" is incompatible with the layer:`;
    if (spec.ndim != null && shape.length !== spec.ndim) {
      throw new ValueError(
        `${head} expected ndim=${spec.ndim}, found ndim=${shape.length}. Full shape received: ${formatShape(shape)}`,
      );
    }
    if (spec.minNdim != null && shape.length < spec.minNdim) {
      throw new ValueError(
        `${head} expected min_ndim=${spec.minNdim}, found ndim=${shape.length}. Full shape received: ${formatShape(shape)}`,
      );
    }
    if (spec.maxNdim != null && shape.length > spec.maxNdim) {
      throw new ValueError(
        `${head} expected max_ndim=${spec.maxNdim}, found ndim=${shape.length}. Full shape received: ${formatShape(shape)}`,
      );
    }
    for (const [axisKey, value] of Object.entries(spec.axes ?? {})) {
      const axis = Number(axisKey);
      const actual = shape[axis < 0 ? shape.length + axis : axis];
      if (actual != null && actual !== value) {
        throw new ValueError(
          `${head} expected axis ${axis} of input shape to have value ${value}, ` +
            `but received input with shape ${formatShape(shape)}`,
        );
      }
    }
  });
}
