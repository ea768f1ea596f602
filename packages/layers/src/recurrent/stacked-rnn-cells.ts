import {
  type CallKwargs,
  deserializeKerasObject,
  isKerasObjectJSON,
  type KerasObjectJSON,
  Layer,
  type LayerArgs,
  register,
  type Shape,
  serializeKerasObject,
  ValueError,
} from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { type CellStep, isSequenceCell, type SequenceCell } from './base-rnn-cell.js';

/** Constructor arguments of `StackedRNNCells`: Keras's arguments of the same names, in camelCase. */
export interface StackedRNNCellsArgs extends LayerArgs {
  /** The cells, first to last; each feeds its output to the next at the same timestep. */
  cells: (Layer | KerasObjectJSON)[];
}

/** State sizes of any cell: Keras allows a number or a list. */
export function stateSizeOf(cell: Layer): number[] {
  const size = (cell as { stateSize?: number | number[] }).stateSize;
  if (size == null) {
    throw new ValueError(
      `The RNN cell should have a \`stateSize\` attribute (a number or a list of numbers). Received: cell=${cell.name}`,
    );
  }
  return Array.isArray(size) ? size : [size];
}

/** The output size of any cell: `outputSize` when it says, else its first state's size (Keras's rule). */
export function outputSizeOf(cell: Layer): number {
  return (cell as { outputSize?: number }).outputSize ?? stateSizeOf(cell)[0];
}

/**
 * Wraps a list of cells so that they behave as one (Keras's `StackedRNNCells`): at each timestep the
 * first cell reads the input, each later cell reads the output of the one before, and the states are
 * the cells' states concatenated in order.
 *
 * Keras: `keras.layers.StackedRNNCells`
 *
 * @example
 * ```ts
 * const cells = new StackedRNNCells({ cells: [new LSTMCell({ units: 8 }), new LSTMCell({ units: 4 })] });
 * new RNN({ cell: cells }).apply(tf.ones([2, 5, 3])); // shape [2, 4]
 * ```
 */
export class StackedRNNCells extends Layer implements SequenceCell {
  static override className = 'StackedRNNCells';
  readonly cells: Layer[];

  constructor(args: StackedRNNCellsArgs) {
    const cells = (args?.cells ?? []).map((c) =>
      isKerasObjectJSON(c) ? deserializeKerasObject<Layer>('layer', c) : c,
    );
    if (cells.length === 0 || !cells.every((c) => c instanceof Layer)) {
      throw new ValueError(
        `StackedRNNCells expects a non-empty list of RNN cells. Received: cells=${JSON.stringify(args?.cells?.map((c) => (c instanceof Layer ? c.name : c)))}`,
      );
    }
    super(args);
    this.cells = cells;
  }

  override get subLayers(): Layer[] {
    return this.cells;
  }

  /** Keras saves the cells under the `cells` attribute. */
  override kerasSaveChildren(): Record<string, Layer[]> {
    return { cells: this.cells };
  }

  get stateSize(): number[] {
    return this.cells.flatMap(stateSizeOf);
  }

  get outputSize(): number {
    return outputSizeOf(this.cells[this.cells.length - 1]);
  }

  override build(inputShape: Shape | Shape[]): void {
    let shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    for (const cell of this.cells) {
      cell.maybeBuild(shape);
      shape = [shape[0], outputSizeOf(cell)];
    }
    super.build(inputShape);
  }

  /** True when every cell supports the batched protocol, so the whole stack does. */
  get batched(): boolean {
    return this.cells.every(isSequenceCell);
  }

  beginSequence(batch: number, inputDim: number, training: boolean): void {
    let dim = inputDim;
    for (const cell of this.cells as SequenceCell[]) {
      cell.beginSequence(batch, dim, training);
      dim = cell.outputSize;
    }
  }

  endSequence(): void {
    for (const cell of this.cells as SequenceCell[]) cell.endSequence();
  }

  projectSequence(x: tf.Tensor3D): tf.Tensor3D {
    return (this.cells[0] as SequenceCell).projectSequence(x);
  }

  projectStep(x: tf.Tensor2D): tf.Tensor2D {
    return (this.cells[0] as SequenceCell).projectStep(x);
  }

  step(projected: tf.Tensor2D, states: tf.Tensor2D[]): CellStep {
    const cells = this.cells as SequenceCell[];
    const newStates: tf.Tensor[] = [];
    let offset = 0;
    let output: tf.Tensor | null = null;
    cells.forEach((cell, i) => {
      const n = cell.stateSize.length;
      const own = states.slice(offset, offset + n);
      offset += n;
      // Later cells read the previous cell's output at this same timestep, so only the first projects ahead.
      const input = i === 0 ? projected : cell.projectStep(output as unknown as tf.Tensor2D);
      const out = cell.step(input, own);
      output = out.output;
      newStates.push(...out.states);
    });
    return { output: output!, states: newStates };
  }

  /** One timestep: `[inputs, ...states]` in, `[output, ...newStates]` out, through every cell. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs = {}): tf.Tensor[] {
    const [x, ...states] = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      let output = x;
      const newStates: tf.Tensor[] = [];
      let offset = 0;
      for (const cell of this.cells) {
        const n = stateSizeOf(cell).length;
        const out = cell.call([output, ...states.slice(offset, offset + n)], kwargs) as tf.Tensor[];
        offset += n;
        output = out[0];
        newStates.push(...out.slice(1));
      }
      return [output, ...newStates];
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [[shape[0], this.outputSize], ...this.stateSize.map((s) => [shape[0], s])];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cells: this.cells.map((c) => serializeKerasObject('layer', c)) };
  }
}

register('layer', 'StackedRNNCells', StackedRNNCells);
