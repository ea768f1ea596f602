/*
 * The optimizer update of the native backend's compiled training step (issue 20, route 1), applied on the
 * host in one pass per weight over the step's resident arrays (kernels/native/step/resident.ts): Keras 3's
 * Adam (AMSGrad, AdamW's decoupled decay), SGD (momentum, Nesterov) and RMSprop (momentum, centered).
 *
 * Each element follows the float32 operations, in the order, of the same rule emitted as ONNX ops
 * (kernels/native/step/optimizer.ts), so the host and in-graph updates agree to the last bit wherever
 * ONNX Runtime's kernels round as IEEE float32 does (WebAssembly has no fused multiply-add to contract
 * into, so none is). The loops are plain C: clang vectorizes them to f32x4 (SIMD128).
 *
 * One non-threaded module per compiled step over that step's own memory; pointers are byte offsets in it.
 * Freestanding C: no libc, no static data. Build: packages/backends/csrc/build.sh.
 */

/* `decay` is AdamW's (or any optimizer's weight decay) factor 1 - weight_decay * lr, 1 when off. */
void adam(float *restrict w, float *restrict m, float *restrict v, const float *restrict g, int n,
          float alpha, float one_minus_beta1, float one_minus_beta2, float epsilon, float decay) {
  for (int i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + (gi - m[i]) * one_minus_beta1;
    float vi = v[i] + (gi * gi - v[i]) * one_minus_beta2;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * decay - (mi * alpha) / (__builtin_sqrtf(vi) + epsilon);
  }
}

/* Adam with AMSGrad: divides by the running maximum `v_hat` of the second moment. */
void adam_amsgrad(float *restrict w, float *restrict m, float *restrict v, float *restrict v_hat,
                  const float *restrict g, int n, float alpha, float one_minus_beta1, float one_minus_beta2,
                  float epsilon, float decay) {
  for (int i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] + (gi - m[i]) * one_minus_beta1;
    float vi = v[i] + (gi * gi - v[i]) * one_minus_beta2;
    float hi = v_hat[i] > vi ? v_hat[i] : vi; /* ONNX's Max; fmaxf would be a libc call */
    m[i] = mi;
    v[i] = vi;
    v_hat[i] = hi;
    w[i] = w[i] * decay - (mi * alpha) / (__builtin_sqrtf(hi) + epsilon);
  }
}

/* SGD without momentum: w -= lr * g. */
void sgd(float *restrict w, const float *restrict g, int n, float lr, float decay) {
  for (int i = 0; i < n; i++) w[i] = w[i] * decay - g[i] * lr;
}

/* SGD with momentum: velocity = momentum * velocity - lr * g; w += velocity (Nesterov: w += momentum *
 * velocity - lr * g). */
void sgd_momentum(float *restrict w, float *restrict velocity, const float *restrict g, int n, float lr,
                  float momentum, int nesterov, float decay) {
  if (nesterov) {
    for (int i = 0; i < n; i++) {
      float lr_g = g[i] * lr;
      float vi = velocity[i] * momentum - lr_g;
      velocity[i] = vi;
      w[i] = w[i] * decay + (vi * momentum - lr_g);
    }
  } else {
    for (int i = 0; i < n; i++) {
      float vi = velocity[i] * momentum - g[i] * lr;
      velocity[i] = vi;
      w[i] = w[i] * decay + vi;
    }
  }
}

/* RMSprop: v = rho * v + (1 - rho) * g^2; w -= lr * g / sqrt(v + epsilon). Centered (`average` not 0):
 * the mean square less the squared mean gradient. With momentum (`mom` not 0): mom = momentum * mom +
 * increment; w -= mom. */
void rmsprop(float *restrict w, float *restrict v, float *restrict mom, float *restrict average,
             const float *restrict g, int n, float lr, float rho, float one_minus_rho, float epsilon,
             float momentum, float decay) {
  for (int i = 0; i < n; i++) {
    float gi = g[i];
    float vi = v[i] * rho + (gi * gi) * one_minus_rho;
    v[i] = vi;
    float mean_square = vi;
    if (average) {
      float ai = average[i] * rho + gi * one_minus_rho;
      average[i] = ai;
      mean_square = vi - ai * ai;
    }
    float increment = (gi * lr) / __builtin_sqrtf(mean_square + epsilon);
    float wi = w[i] * decay;
    if (mom) {
      float mi = mom[i] * momentum + increment;
      mom[i] = mi;
      w[i] = wi - mi;
    } else {
      w[i] = wi - increment;
    }
  }
}
