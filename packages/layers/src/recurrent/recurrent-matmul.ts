import * as tf from '@tensorflow/tfjs-core';

/**
 * `kernelT · h + bias` for feature-major tensors (`kernelT [width, k]`, `h [k, batch]`, `bias` either
 * `[width, batch]` or `[width, 1]`), with a hand-written gradient. (A matmul and an add: tfjs's fused
 * matmul takes only a rank-1 bias on WASM.)
 *
 * tfjs's own gradient would compute `kernelTᵀ · dy` as a matmul with a transposed left operand, whose
 * inner loop strides through memory on the CPU and WASM backends; here it is `kernel · dy` with the
 * untransposed kernel (`kernel [k, width]`, which the cell already has), a contiguous read. The kernel
 * is saved for the backward pass like `h`, since it may be an intermediate of the caller's tidy.
 */
export function recurrentMatMul(
  kernelT: tf.Tensor2D,
  kernel: tf.Tensor2D,
  h: tf.Tensor2D,
  bias?: tf.Tensor,
): tf.Tensor2D {
  const grad = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [savedH, savedKernel] = saved;
    // On WASM a transposed operand is far slower than an explicit transpose; on CPU it is the fast form.
    const dKernelT =
      tf.getBackend() === 'wasm' ? tf.matMul(dy, tf.transpose(savedH)) : tf.matMul(dy, savedH, false, true);
    const dH = tf.matMul(savedKernel, dy);
    if (!bias) return [dKernelT, dH];
    const dBias = bias.shape[1] === dy.shape[1] ? dy : tf.sum(dy, 1, true);
    return [dKernelT, dH, dBias];
  };
  if (bias) {
    const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [a, b, c, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor, tf.GradSaveFunc];
      save([b, kernel]);
      return { value: tf.add(tf.matMul(a, b), c), gradFunc: grad };
    });
    return f(kernelT, h, bias) as tf.Tensor2D;
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([b, kernel]);
    return { value: tf.matMul(a, b), gradFunc: grad };
  });
  return f(kernelT, h) as tf.Tensor2D;
}
