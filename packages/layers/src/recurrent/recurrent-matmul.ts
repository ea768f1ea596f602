import * as tf from '@tensorflow/tfjs-core';

/**
 * `kernelT · h + bias` for feature-major tensors (`kernelT [width, k]`, `h [k, batch]`, `bias` either
 * `[width, batch]` or `[width, 1]`), as one fused matmul, with a hand-written gradient.
 *
 * tfjs's own gradient would compute `kernelTᵀ · dy` as a matmul with a transposed left operand, whose
 * inner loop strides through memory on the CPU and WASM backends; here it is `kernel · dy` with the
 * untransposed kernel (`kernel [k, width]`, which the cell already has), a contiguous read.
 */
export function recurrentMatMul(
  kernelT: tf.Tensor2D,
  kernel: tf.Tensor2D,
  h: tf.Tensor2D,
  bias?: tf.Tensor,
): tf.Tensor2D {
  const grad = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [savedH] = saved;
    const dKernelT = tf.matMul(dy, savedH, false, true);
    const dH = tf.matMul(kernel, dy);
    if (!bias) return [dKernelT, dH];
    const dBias = bias.shape[1] === dy.shape[1] ? dy : tf.sum(dy, 1, true);
    return [dKernelT, dH, dBias];
  };
  if (bias) {
    const f = tf.customGrad((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, save: tf.GradSaveFunc) => {
      save([b]);
      return {
        value: tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c }),
        gradFunc: grad,
      };
    });
    return f(kernelT, h, bias) as tf.Tensor2D;
  }
  const f = tf.customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([b]);
    return { value: tf.matMul(a, b), gradFunc: grad };
  });
  return f(kernelT, h) as tf.Tensor2D;
}
