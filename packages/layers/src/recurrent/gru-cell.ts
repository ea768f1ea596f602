import { register } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import {
  type ActivationFn,
  type ActivationIdentifier,
  getActivation,
  serializeActivation,
} from '../activations/index.js';
import type { Initializer } from '../initializers/index.js';
import { BaseRNNCell, type BaseRNNCellArgs, type CellStep } from './base-rnn-cell.js';
import { recurrentMatMul } from './recurrent-matmul.js';

export interface GRUCellArgs extends BaseRNNCellArgs {
  /** Activation of the update and reset gates. Default 'sigmoid'. */
  recurrentActivation?: ActivationIdentifier;
  /**
   * Apply the reset gate after the recurrent matmul (true, Keras 3's default and cuDNN's convention) or
   * before it (false). With true the bias is `[2, 3*units]`: input bias, then recurrent bias.
   */
  resetAfter?: boolean;
}

/**
 * Cell of the Gated Recurrent Unit layer (Cho et al. 2014), Keras 3's formulation. Gates are packed in
 * the order update (z), reset (r), candidate (h): `kernel [inputDim, 3*units]`,
 * `recurrent_kernel [units, 3*units]`, `bias [3*units]` or `[2, 3*units]` with `resetAfter`.
 *
 * Keras: `keras.layers.GRUCell`
 *
 * @example
 * ```ts
 * const layer = new RNN({ cell: new GRUCell({ units: 4 }) });
 * layer.apply(tf.ones([2, 5, 3])); // shape [2, 4]
 * ```
 */
export class GRUCell extends BaseRNNCell {
  static override className = 'GRUCell';
  protected readonly gates = 3;
  readonly stateSize: number[];
  readonly recurrentActivation: ActivationFn;
  readonly resetAfter: boolean;
  /** Per-sequence slices of the weights, so that each step does no slicing. */
  private recurrentBias: tf.Tensor | null = null;
  /** Without resetAfter: the recurrent kernel's z-r and h blocks, transposed and not. */
  private recurrentKernelParts: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] | null = null;

  constructor(args: GRUCellArgs) {
    super(args);
    this.recurrentActivation = getActivation(
      args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation,
    );
    this.resetAfter = args.resetAfter ?? true;
    this.stateSize = [this.units];
  }

  protected override biasSpec(): { shape: number[]; initializer: Initializer } {
    const width = 3 * this.units;
    return { shape: this.resetAfter ? [2, width] : [width], initializer: this.biasInitializer };
  }

  protected override inputBias(): tf.Tensor | undefined {
    if (!this.bias) return undefined;
    return this.resetAfter ? tf.squeeze(tf.slice(this.bias.value, [0, 0], [1, -1]), [0]) : this.bias.value;
  }

  override beginSequence(batch: number, inputDim: number, training: boolean): void {
    super.beginSequence(batch, inputDim, training);
    if (this.resetAfter) {
      this.recurrentBias = this.bias ? tf.reshape(tf.slice(this.bias.value, [1, 0], [1, -1]), [-1, 1]) : null;
    } else {
      const [zrT, hT] = tf.split(this.recurrentKernelT!, [2 * this.units, this.units], 0) as tf.Tensor2D[];
      const [zr, h] = tf.split(this.recurrentKernel!.value, [2 * this.units, this.units], 1) as tf.Tensor2D[];
      this.recurrentKernelParts = [zrT, zr, hT, h];
    }
  }

  override endSequence(): void {
    super.endSequence();
    this.recurrentBias = null;
    this.recurrentKernelParts = null;
  }

  step(projected: tf.Tensor2D, states: tf.Tensor2D[]): CellStep {
    const u = this.units;
    const hPrev = this.recurrentInput(states[0]);
    const [xzr, xh] = tf.split(projected, [2 * u, u], 0);
    let z: tf.Tensor;
    let r: tf.Tensor;
    let candidateInput: tf.Tensor;
    if (this.resetAfter) {
      const inner = this.recurrentProduct(hPrev, this.recurrentBias ?? undefined);
      const [izr, ih] = tf.split(inner, [2 * u, u], 0);
      [z, r] = tf.split(this.recurrentActivation(tf.add(xzr, izr)), 2, 0);
      candidateInput = tf.add(xh, tf.mul(r, ih));
    } else {
      const [zrT, zr, hT, h] = this.recurrentKernelParts!;
      [z, r] = tf.split(this.recurrentActivation(recurrentMatMul(zrT, zr, hPrev, xzr)), 2, 0);
      candidateInput = recurrentMatMul(hT, h, tf.mul(r, hPrev) as tf.Tensor2D, xh);
    }
    const hh = this.activation(candidateInput);
    // z*h + (1-z)*hh, written with one product fewer.
    const h = tf.add(hh, tf.mul(z, tf.sub(hPrev, hh)));
    return { output: h, states: [h] };
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      recurrentActivation: serializeActivation(this.recurrentActivation),
      resetAfter: this.resetAfter,
    };
  }
}

register('layer', 'GRUCell', GRUCell);
