import { formatShape, ValueError } from '@strata/core';

/**
 * Keras's `compute_fans`: fan-in and fan-out of a weight shape. For kernels of rank > 2 (convolutions,
 * laid out `[...spatial, inChannels, outChannels]`) both are multiplied by the receptive field size.
 * With both `inputAxes` and `outputAxes` given, each fan is the product of the sizes of those axes
 * (negative axes count from the end).
 */
export function computeFans(
  shape: readonly number[],
  inputAxes: readonly number[] | null = null,
  outputAxes: readonly number[] | null = null,
): { fanIn: number; fanOut: number } {
  if (inputAxes !== null && outputAxes !== null) {
    const product = (axes: readonly number[], name: string) =>
      axes.reduce((p, axis) => {
        if (!(axis >= -shape.length && axis < shape.length)) {
          throw new ValueError(
            `\`${name}\` holds an axis outside the weight's shape ${formatShape([...shape])} of rank ${shape.length}. Received: ${name}=${JSON.stringify(axes)}`,
          );
        }
        return p * shape[axis < 0 ? axis + shape.length : axis];
      }, 1);
    return { fanIn: product(inputAxes, 'inputAxes'), fanOut: product(outputAxes, 'outputAxes') };
  }
  if (shape.length < 1) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const receptiveFieldSize = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return {
    fanIn: shape[shape.length - 2] * receptiveFieldSize,
    fanOut: shape[shape.length - 1] * receptiveFieldSize,
  };
}
