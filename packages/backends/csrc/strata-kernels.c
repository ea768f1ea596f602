/*
 * Strata's threaded WebAssembly kernels (issue 20, route 2): a packed, cache-blocked f32x4 GEMM with a
 * bias + ReLU epilogue, the im2col that turns a convolution into that GEMM, MaxPool's gradient, and
 * Adam's one-pass update.
 *
 * One module runs on every thread over one shared memory. The calling thread writes a job (struct Job)
 * and wakes the workers; every thread then calls `run(job, thread)`, which claims task indices from the
 * job's atomic counter until none are left, and counts finished tasks in `done` (the last one wakes the
 * caller). A task writes a fixed set of output elements, each summed in the same order whichever thread
 * runs it, so results do not depend on the thread count.
 *
 * Freestanding C: no libc, no static data (the module has no data segments to initialise per thread) and
 * no fixed address: the memory may be another program's heap (tfjs-backend-wasm's threaded build), so
 * every instance's stack (`__stack_pointer`, set by its owner) and every buffer come from the caller.
 * Build: packages/backends/csrc/build.sh.
 */
#include <wasm_simd128.h>

typedef unsigned int u32;

enum { JOB_GEMM = 1, JOB_IM2COL = 2, JOB_MAX_POOL_GRAD = 3, JOB_ADAM = 4 };
enum { ACT_LINEAR = 0, ACT_RELU = 1 };

/* Register tile (4 rows x 8 columns: 8 accumulators, 2 B vectors and one broadcast A fit x64's 16
 * xmm registers) and cache blocks: a KC x NR panel of B stays in L1, an MC x KC block of A in L2. */
#define MR 4
#define NR 8
#define MC 64
#define KC 256
#define NC 128

/* Field order and types are mirrored by JOB_FIELDS in src/kernels/wasm/threaded/pool.ts. */
typedef struct {
  int kind;
  int next;    /* next unclaimed task (atomic) */
  int done;    /* finished tasks (atomic; the last one notifies) */
  int tasks;
  int scratch; /* this thread's scratch: scratch + thread * scratchStride */
  int scratchStride;
  /* GEMM: out[b] = op(a[b]) . op(b[b]) (+ bias, activation); op transposes when trans* is set. */
  int a, b, out, bias;
  int m, n, k;
  int transA, transB, activation;
  int strideA, strideB, strideOut; /* floats between batches (0 broadcasts) */
  int rowTiles, colTiles;
  /* im2col: a (NHWC [batch][inH][inW][inC]) to out ([batch][outH][outW][kH][kW][inC]); one task per
   * (batch, output row). MaxPool's gradient: a the pooled input, b dy ([batch][outH][outW][inC]), out dx;
   * one task per image. */
  int batch, inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft;
  /* Adam: a the variable, b the gradient, c and d the moments m and v, out, out2 and out3 their new
   * values; n elements in tasks of `chunk`; keepM = 1 - beta1, keepV = 1 - beta2. */
  int c, d, out2, out3, chunk;
  float keepM, keepV, alpha, epsilon;
} Job;

static inline int load_acquire(int *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline int min_int(int x, int y) { return x < y ? x : y; }

/* Transposes the 4x4 block whose rows are r0..r3: out[j] holds element j of every row. */
static inline void transpose4(v128_t r0, v128_t r1, v128_t r2, v128_t r3, v128_t *o0, v128_t *o1, v128_t *o2,
                              v128_t *o3) {
  v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
  v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  *o0 = wasm_i64x2_shuffle(t0, t1, 0, 2), *o1 = wasm_i64x2_shuffle(t0, t1, 1, 3);
  *o2 = wasm_i64x2_shuffle(t2, t3, 0, 2), *o3 = wasm_i64x2_shuffle(t2, t3, 1, 3);
}

/* Writes `count` (4) columns of four source rows s0..s3 (each read along depth k) interleaved:
 * dst[k * stride + c] = sc[k], four depths at a time with a 4x4 transpose. */
static void interleave4(float *dst, int stride, const float *s0, const float *s1, const float *s2,
                        const float *s3, int kc) {
  int k = 0;
  for (; k + 4 <= kc; k += 4) {
    v128_t o0, o1, o2, o3;
    transpose4(wasm_v128_load(s0 + k), wasm_v128_load(s1 + k), wasm_v128_load(s2 + k), wasm_v128_load(s3 + k), &o0,
               &o1, &o2, &o3);
    wasm_v128_store(dst + k * stride, o0);
    wasm_v128_store(dst + (k + 1) * stride, o1);
    wasm_v128_store(dst + (k + 2) * stride, o2);
    wasm_v128_store(dst + (k + 3) * stride, o3);
  }
  for (; k < kc; k++) {
    float *d = dst + k * stride;
    d[0] = s0[k], d[1] = s1[k], d[2] = s2[k], d[3] = s3[k];
  }
}

/* Packs rows [i0, i0 + mc) x depth [k0, k0 + kc) of op(A) into MR-row panels: dst[p][k][r], zero rows
 * past m. */
static void pack_a(float *dst, const float *a, int transA, int m, int kTotal, int i0, int mc, int k0,
                   int kc) {
  for (int p = 0; p < mc; p += MR) {
    float *d = dst + p * kc;
    int rows = min_int(MR, mc - p);
    if (rows == MR && transA) {
      /* A is [k][m]: the panel's four rows at one depth are contiguous. */
      const float *s = a + (long)k0 * m + i0 + p;
      for (int k = 0; k < kc; k++) wasm_v128_store(d + k * MR, wasm_v128_load(s + (long)k * m));
      continue;
    }
    if (rows == MR) {
      const float *s = a + (long)(i0 + p) * kTotal + k0;
      interleave4(d, MR, s, s + kTotal, s + 2 * kTotal, s + 3 * kTotal, kc);
      continue;
    }
    for (int r = 0; r < MR; r++) {
      int i = i0 + p + r;
      if (r >= rows) {
        for (int k = 0; k < kc; k++) d[k * MR + r] = 0.0f;
      } else if (transA) {
        const float *s = a + (long)k0 * m + i;
        for (int k = 0; k < kc; k++) d[k * MR + r] = s[(long)k * m];
      } else {
        const float *s = a + (long)i * kTotal + k0;
        for (int k = 0; k < kc; k++) d[k * MR + r] = s[k];
      }
    }
  }
}

/* Packs depth [k0, k0 + kc) x columns [j0, j0 + nc) of op(B) into NR-column panels: dst[q][k][c], zero
 * columns past nc. */
static void pack_b(float *dst, const float *b, int transB, int n, int kTotal, int j0, int nc, int k0,
                   int kc) {
  for (int q = 0; q < nc; q += NR) {
    float *d = dst + q * kc;
    int width = min_int(NR, nc - q);
    if (!transB && width == NR) {
      const float *s = b + (long)k0 * n + j0 + q;
      for (int k = 0; k < kc; k++) {
        wasm_v128_store(d + k * NR, wasm_v128_load(s + (long)k * n));
        wasm_v128_store(d + k * NR + 4, wasm_v128_load(s + (long)k * n + 4));
      }
      continue;
    }
    if (width == NR) {
      /* B is [n][k]: each column is contiguous along depth. */
      const float *s = b + (long)(j0 + q) * kTotal + k0;
      interleave4(d, NR, s, s + kTotal, s + 2 * kTotal, s + 3 * kTotal, kc);
      s += 4 * (long)kTotal;
      interleave4(d + 4, NR, s, s + kTotal, s + 2 * kTotal, s + 3 * kTotal, kc);
      continue;
    }
    for (int c = 0; c < NR; c++) {
      if (c >= width) {
        for (int k = 0; k < kc; k++) d[k * NR + c] = 0.0f;
      } else if (transB) {
        const float *s = b + (long)(j0 + q + c) * kTotal + k0;
        for (int k = 0; k < kc; k++) d[k * NR + c] = s[k];
      } else {
        const float *s = b + (long)k0 * n + j0 + q + c;
        for (int k = 0; k < kc; k++) d[k * NR + c] = s[(long)k * n];
      }
    }
  }
}

/* c[MR x NR] (row stride ldc) = (first ? 0 : c) + ap . bp over kc; then, when last, + bias and the
 * activation. */
static void micro_kernel(const float *ap, const float *bp, int kc, float *c, int ldc, int first, int last,
                         const float *bias, int activation) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (first) {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
  } else {
    c00 = wasm_v128_load(c), c01 = wasm_v128_load(c + 4);
    c10 = wasm_v128_load(c + ldc), c11 = wasm_v128_load(c + ldc + 4);
    c20 = wasm_v128_load(c + 2 * ldc), c21 = wasm_v128_load(c + 2 * ldc + 4);
    c30 = wasm_v128_load(c + 3 * ldc), c31 = wasm_v128_load(c + 3 * ldc + 4);
  }
  for (int k = 0; k < kc; k++) {
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a0 = wasm_f32x4_splat(ap[0]), a1 = wasm_f32x4_splat(ap[1]);
    v128_t a2 = wasm_f32x4_splat(ap[2]), a3 = wasm_f32x4_splat(ap[3]);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0)), c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0)), c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0)), c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0)), c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
    ap += MR;
    bp += NR;
  }
  if (last && bias) {
    v128_t bias0 = wasm_v128_load(bias), bias1 = wasm_v128_load(bias + 4);
    c00 = wasm_f32x4_add(c00, bias0), c01 = wasm_f32x4_add(c01, bias1);
    c10 = wasm_f32x4_add(c10, bias0), c11 = wasm_f32x4_add(c11, bias1);
    c20 = wasm_f32x4_add(c20, bias0), c21 = wasm_f32x4_add(c21, bias1);
    c30 = wasm_f32x4_add(c30, bias0), c31 = wasm_f32x4_add(c31, bias1);
  }
  if (last && activation == ACT_RELU) {
    v128_t zero = wasm_f32x4_splat(0.0f);
    c00 = wasm_f32x4_max(c00, zero), c01 = wasm_f32x4_max(c01, zero);
    c10 = wasm_f32x4_max(c10, zero), c11 = wasm_f32x4_max(c11, zero);
    c20 = wasm_f32x4_max(c20, zero), c21 = wasm_f32x4_max(c21, zero);
    c30 = wasm_f32x4_max(c30, zero), c31 = wasm_f32x4_max(c31, zero);
  }
  wasm_v128_store(c, c00), wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + ldc, c10), wasm_v128_store(c + ldc + 4, c11);
  wasm_v128_store(c + 2 * ldc, c20), wasm_v128_store(c + 2 * ldc + 4, c21);
  wasm_v128_store(c + 3 * ldc, c30), wasm_v128_store(c + 3 * ldc + 4, c31);
}

/* One task of a GEMM: the output tile (batch, row block, column block), over the whole depth. */
static void gemm_task(const Job *job, int task, float *scratch) {
  int m = job->m, n = job->n, kTotal = job->k;
  int perBatch = job->rowTiles * job->colTiles;
  int batch = task / perBatch, rest = task % perBatch;
  int i0 = (rest / job->colTiles) * MC, j0 = (rest % job->colTiles) * NC;
  int mc = min_int(MC, m - i0), nc = min_int(NC, n - j0);
  const float *a = (const float *)job->a + (long)batch * job->strideA;
  const float *b = (const float *)job->b + (long)batch * job->strideB;
  float *out = (float *)job->out + (long)batch * job->strideOut;
  const float *biasAll = (const float *)job->bias;
  float *packedA = scratch;
  float *packedB = packedA + MC * KC;
  float *edge = packedB + KC * NC; /* an MR x NR tile for edges, then NR bias values */
  float *edgeBias = edge + MR * NR;
  for (int k0 = 0; k0 < kTotal; k0 += KC) {
    int kc = min_int(KC, kTotal - k0);
    int first = k0 == 0, last = k0 + kc == kTotal;
    pack_a(packedA, a, job->transA, m, kTotal, i0, mc, k0, kc);
    pack_b(packedB, b, job->transB, n, kTotal, j0, nc, k0, kc);
    for (int q = 0; q < nc; q += NR) {
      int cols = min_int(NR, nc - q);
      const float *bias = biasAll ? biasAll + j0 + q : 0;
      if (bias && cols < NR) {
        for (int c = 0; c < NR; c++) edgeBias[c] = c < cols ? bias[c] : 0.0f;
        bias = edgeBias;
      }
      for (int p = 0; p < mc; p += MR) {
        int rows = min_int(MR, mc - p);
        float *c = out + (long)(i0 + p) * n + j0 + q;
        const float *ap = packedA + p * kc, *bp = packedB + q * kc;
        if (rows == MR && cols == NR) {
          micro_kernel(ap, bp, kc, c, n, first, last, bias, job->activation);
          continue;
        }
        for (int r = 0; r < MR; r++)
          for (int col = 0; col < NR; col++)
            edge[r * NR + col] = !first && r < rows && col < cols ? c[(long)r * n + col] : 0.0f;
        micro_kernel(ap, bp, kc, edge, NR, first, last, bias, job->activation);
        for (int r = 0; r < rows; r++)
          for (int col = 0; col < cols; col++) c[(long)r * n + col] = edge[r * NR + col];
      }
    }
  }
}

/* One task of an im2col: the patches of output row `task % outH` of image `task / outH`; taps that fall
 * in the padding are zeros. */
static void im2col_task(const Job *job, int task) {
  int inH = job->inH, inW = job->inW, inC = job->inC, kW = job->kW;
  int image = task / job->outH, oy = task % job->outH;
  const float *x = (const float *)job->a + (long)image * inH * inW * inC;
  float *row = (float *)job->out + (long)task * job->outW * job->kH * kW * inC;
  for (int ox = 0; ox < job->outW; ox++) {
    for (int ky = 0; ky < job->kH; ky++) {
      int y = oy * job->strideH - job->padTop + ky * job->dilationH;
      for (int kx = 0; kx < kW; kx++, row += inC) {
        int xx = ox * job->strideW - job->padLeft + kx * job->dilationW;
        if (y < 0 || y >= inH || xx < 0 || xx >= inW) {
          for (int c = 0; c < inC; c++) row[c] = 0.0f;
          continue;
        }
        const float *src = x + ((long)y * inW + xx) * inC;
        int c = 0;
        for (; c + 4 <= inC; c += 4) wasm_v128_store(row + c, wasm_v128_load(src + c));
        for (; c < inC; c++) row[c] = src[c];
      }
    }
  }
}

/* One task of MaxPool's gradient: image `task`'s dx, where each window sends its dy to the first pixel
 * (row-major) holding the window's maximum, as tfjs's cpu kernel does; padding never wins. */
static void max_pool_grad_task(const Job *job, int task) {
  int inH = job->inH, inW = job->inW, inC = job->inC;
  long image = (long)inH * inW * inC;
  const float *x = (const float *)job->a + task * image;
  const float *dy = (const float *)job->b + (long)task * job->outH * job->outW * inC;
  float *dx = (float *)job->out + task * image;
  for (long i = 0; i < image; i++) dx[i] = 0.0f;
  for (int oy = 0; oy < job->outH; oy++) {
    for (int ox = 0; ox < job->outW; ox++, dy += inC) {
      int y0 = oy * job->strideH - job->padTop, x0 = ox * job->strideW - job->padLeft;
      for (int c = 0; c < inC; c++) {
        long best = -1;
        float bestValue = 0.0f;
        for (int ky = 0; ky < job->kH; ky++) {
          int y = y0 + ky;
          if (y < 0 || y >= inH) continue;
          for (int kx = 0; kx < job->kW; kx++) {
            int xx = x0 + kx;
            if (xx < 0 || xx >= inW) continue;
            long at = ((long)y * inW + xx) * inC + c;
            if (best < 0 || x[at] > bestValue) best = at, bestValue = x[at];
          }
        }
        if (best >= 0) dx[best] += dy[c];
      }
    }
  }
}

/* Adam's update of elements [i, end): m' = m + (g - m) keepM, v' = v + (g g - v) keepV,
 * w' = w - (m' alpha) / (sqrt(v') + epsilon), in float32 in this order (as Strata's single-threaded loop in
 * adam-update-simd.ts: the results agree bit for bit). */
static void adam_span(const Job *job, int i, int end) {
  const float *w = (const float *)job->a, *g = (const float *)job->b;
  const float *m = (const float *)job->c, *v = (const float *)job->d;
  float *outW = (float *)job->out, *outM = (float *)job->out2, *outV = (float *)job->out3;
  v128_t keepM = wasm_f32x4_splat(job->keepM), keepV = wasm_f32x4_splat(job->keepV);
  v128_t alpha = wasm_f32x4_splat(job->alpha), epsilon = wasm_f32x4_splat(job->epsilon);
  for (; i + 4 <= end; i += 4) {
    v128_t gi = wasm_v128_load(g + i), mi = wasm_v128_load(m + i), vi = wasm_v128_load(v + i);
    v128_t mNew = wasm_f32x4_add(mi, wasm_f32x4_mul(wasm_f32x4_sub(gi, mi), keepM));
    v128_t vNew = wasm_f32x4_add(vi, wasm_f32x4_mul(wasm_f32x4_sub(wasm_f32x4_mul(gi, gi), vi), keepV));
    v128_t step = wasm_f32x4_div(wasm_f32x4_mul(mNew, alpha), wasm_f32x4_add(wasm_f32x4_sqrt(vNew), epsilon));
    wasm_v128_store(outM + i, mNew);
    wasm_v128_store(outV + i, vNew);
    wasm_v128_store(outW + i, wasm_f32x4_sub(wasm_v128_load(w + i), step));
  }
  for (; i < end; i++) {
    float mNew = m[i] + (g[i] - m[i]) * job->keepM;
    float vNew = v[i] + (g[i] * g[i] - v[i]) * job->keepV;
    outM[i] = mNew;
    outV[i] = vNew;
    outW[i] = w[i] - (mNew * job->alpha) / (__builtin_sqrtf(vNew) + job->epsilon);
  }
}

/* Claims and runs the job's tasks until none are left. Every thread calls it, the caller included. */
__attribute__((export_name("run"))) void run(Job *job, int thread) {
  for (;;) {
    int task = __atomic_fetch_add(&job->next, 1, __ATOMIC_ACQ_REL);
    /* Read after the claim: a late thread may claim from the next job written to the same struct. */
    if (task >= load_acquire(&job->tasks)) return;
    float *scratch = (float *)(job->scratch + thread * job->scratchStride);
    switch (job->kind) {
    case JOB_GEMM: gemm_task(job, task, scratch); break;
    case JOB_IM2COL: im2col_task(job, task); break;
    case JOB_MAX_POOL_GRAD: max_pool_grad_task(job, task); break;
    case JOB_ADAM: adam_span(job, task * job->chunk, min_int(job->n, (task + 1) * job->chunk)); break;
    default: __builtin_trap();
    }
    if (__atomic_add_fetch(&job->done, 1, __ATOMIC_ACQ_REL) == job->tasks) {
      __builtin_wasm_memory_atomic_notify(&job->done, 1);
    }
  }
}

/* Bytes of scratch one thread needs (packed A and B blocks, an edge tile and its bias). */
__attribute__((export_name("scratch_bytes"))) int scratch_bytes(void) {
  return (MC * KC + KC * NC + MR * NR + NR) * (int)sizeof(float);
}

/* The tile sizes, for the caller's task count. */
__attribute__((export_name("tile_rows"))) int tile_rows(void) { return MC; }
__attribute__((export_name("tile_cols"))) int tile_cols(void) { return NC; }
