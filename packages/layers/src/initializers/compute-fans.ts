/**
 * Keras's `compute_fans`: fan-in and fan-out of a weight shape. For kernels of rank > 2 (convolutions,
 * laid out `[...spatial, inChannels, outChannels]`) both are multiplied by the receptive field size.
 */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 1) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const receptiveFieldSize = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return {
    fanIn: shape[shape.length - 2] * receptiveFieldSize,
    fanOut: shape[shape.length - 1] * receptiveFieldSize,
  };
}
