/**
 * Adam's update of a compiled step on the host, after the step's graph: one fused pass per weight (the
 * f32x4 loop of the wasm backend's `StrataAdamUpdate`, on a WebAssembly memory of its own) instead of the
 * twelve element-wise passes ONNX Runtime makes of the same update inside the graph.
 *
 * Why: ONNX Runtime does not fuse element-wise chains, and each pass over a large weight is memory-bound:
 * on the bench MLP's 784x512 weight the graph's twelve ops took 3.8 ms, this loop 0.24 ms (0.61 ms with
 * the copies into and out of its memory). In the whole compiled step of that MLP (784-512-10, batch 128,
 * 2 shared cores at load 4-5, one process, fastest of 12 epochs, 4 runs) Adam's step took 3.8-6.5 ms
 * updating on the host against 6.3-7.2 ms in the graph (plain SGD: 2.4-3.6 ms). The loop rounds each
 * operation as the optimizer's kernels do, so the results are those of `Optimizer.apply`.
 */
import type { Optimizer, Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import { runAdamUpdate } from '../../wasm/adam-update.js';

/** WebAssembly's page size in bytes. */
const PAGE = 65536;

/** The optimizer's Adam hyperparameters. */
interface AdamLike extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** Updates weights and their Adam slots in place of the graph's update (see the file's description). */
export class HostAdamUpdate {
  private readonly memory = new WebAssembly.Memory({ initial: 1 });

  constructor(
    private readonly optimizer: AdamLike,
    private readonly variables: readonly Variable[],
    /** Each variable's momentum and velocity. */
    private readonly slots: readonly (readonly [Variable, Variable])[],
  ) {}

  /** Applies one step's gradients (one per variable, in order); the iteration is counted elsewhere. */
  apply(grads: readonly Float32Array[]): void {
    const opt = this.optimizer;
    const t = opt.updateCount + 1;
    // As `apply` and Adam's `updateStep`: the rate at the current iteration in float32, then the step size.
    const lr = Math.fround(opt.learningRate);
    const alpha = (lr * Math.sqrt(1 - opt.beta2 ** t)) / (1 - opt.beta1 ** t);
    const attrs = { alpha, beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon };
    this.variables.forEach((variable, i) => {
      const [m, v] = this.slots[i];
      const n = grads[i].length;
      const views = this.views(n);
      const inputs = [variable, null, m, v].map((x) => (x ? x.value.dataSync() : grads[i]));
      inputs.forEach((values, k) => {
        views[k].set(values as Float32Array);
      });
      runAdamUpdate(this.memory, views, attrs);
      [variable, m, v].forEach((target, k) => {
        const value = tf.tensor(views[4 + k].slice(), target.shape, 'float32');
        target.value.assign(value);
        value.dispose();
      });
    });
  }

  /** Seven views of `n` floats (variable, gradient, m, v, and the three outputs) of the memory. */
  private views(n: number): Float32Array[] {
    const bytes = 7 * n * 4;
    const missing = Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE);
    if (missing > 0) this.memory.grow(missing);
    return Array.from({ length: 7 }, (_, k) => new Float32Array(this.memory.buffer, k * n * 4, n));
  }
}
