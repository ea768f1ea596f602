/**
 * A single-precision matrix product in plain JavaScript, written for V8, for tfjs-backend-cpu.
 *
 * Why hand-written: tfjs-backend-cpu 4.22's BatchMatMul computes each output element as a dot product
 * read through stride arithmetic, at 0.3-0.6 GFLOP/s here, and there is no maintained JavaScript BLAS
 * to use instead. This is the usual GEMM structure: both operands are packed into panels of four
 * rows/columns (k-major, which also makes the four transpose cases one code path), and a 4x4 block of
 * the output is accumulated in sixteen local variables over a k-range, so each inner step does eight
 * loads for sixteen multiply-adds. The packed B columns are walked in groups that stay in L2 and K in
 * blocks, so a packed A panel stays in L1 across a group. 3.5-4 GFLOP/s for the MLP's products here.
 * Sums are accumulated in double precision and rounded once when stored.
 *
 * For very few rows (predict at batch 1) packing B costs as much as the product itself, so those rows
 * stream B row by row instead.
 */

/** One operand: its values, where it starts, and the steps between rows and between columns. */
export interface MatrixView {
  values: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

/** A row-major matrix of `columns` columns in `values`, from `offset`. */
export const rowMajor = (values: Float32Array, offset: number, columns: number): MatrixView => ({
  values,
  offset,
  rowStride: columns,
  colStride: 1,
});

/** Rows (of A) or columns (of B) per packed panel. */
export const PANEL = 4;
/** Packed B panels walked per group: 16 panels × K-block 256 × 4 floats = 64 KiB. */
const PANELS_PER_GROUP = 16;
const K_BLOCK = 256;
/** Below this many rows of A, stream B instead of packing it. */
const STREAM_ROWS = 8;

// Scratch for the packed panels, grown on demand and reused: kernels run one at a time on the thread.
let packedA: Float32Array = new Float32Array(0);
let packedB: Float32Array = new Float32Array(0);

function scratch(current: Float32Array, size: number): Float32Array {
  return current.length >= size ? current : new Float32Array(Math.max(size, current.length * 2));
}

/**
 * Copies `rows` x `depth` of `src` into panels of PANEL rows, depth-major (row `r`, column `k` at
 * `((r / PANEL | 0) * depth + k) * PANEL + r % PANEL`); rows past the end are 0.
 */
export function packRows(src: MatrixView, rows: number, depth: number, out: Float32Array): void {
  const { values, offset, rowStride, colStride } = src;
  const panels = Math.ceil(rows / PANEL);
  for (let p = 0; p < panels; p++) {
    const base = p * depth * PANEL;
    for (let r = 0; r < PANEL; r++) {
      const row = p * PANEL + r;
      if (row < rows) {
        let from = offset + row * rowStride;
        for (let k = 0, o = base + r; k < depth; k++, o += PANEL, from += colStride) out[o] = values[from];
      } else {
        for (let k = 0, o = base + r; k < depth; k++, o += PANEL) out[o] = 0;
      }
    }
  }
}

/**
 * `out[i, j] (+)= Σ_k a[i, k] · b[k, j]` over one k-range for the 4x4 blocks of row panel `ip` of
 * packed A (from `aStart`) and column panels `j0 .. j1` of packed B (from `bStart`), one after
 * another. Adds to `out` when `accumulate` (k-blocks after the first). The loop over the column panels
 * is in here, not in the caller, because V8 does not inline this function: a call per block cost ~5%
 * of the MNIST convnet's second Conv2D (32-deep products) and of its Dense of 128.
 */
function block4x4(
  pa: Float32Array,
  aStart: number,
  pb: Float32Array,
  bStart: number,
  out: Float32Array,
  outOffset: number,
  m: number,
  n: number,
  depth: number,
  ip: number,
  j0: number,
  j1: number,
  k0: number,
  k1: number,
  accumulate: boolean,
): void {
  for (let jp = j0; jp < j1; jp++) {
    let ao = aStart + (ip * depth + k0) * PANEL;
    let bo = bStart + (jp * depth + k0) * PANEL;
    let c00 = 0,
      c01 = 0,
      c02 = 0,
      c03 = 0;
    let c10 = 0,
      c11 = 0,
      c12 = 0,
      c13 = 0;
    let c20 = 0,
      c21 = 0,
      c22 = 0,
      c23 = 0;
    let c30 = 0,
      c31 = 0,
      c32 = 0,
      c33 = 0;
    for (let k = k0; k < k1; k++, ao += PANEL, bo += PANEL) {
      const a0 = pa[ao],
        a1 = pa[ao + 1],
        a2 = pa[ao + 2],
        a3 = pa[ao + 3];
      const b0 = pb[bo],
        b1 = pb[bo + 1],
        b2 = pb[bo + 2],
        b3 = pb[bo + 3];
      c00 += a0 * b0;
      c01 += a0 * b1;
      c02 += a0 * b2;
      c03 += a0 * b3;
      c10 += a1 * b0;
      c11 += a1 * b1;
      c12 += a1 * b2;
      c13 += a1 * b3;
      c20 += a2 * b0;
      c21 += a2 * b1;
      c22 += a2 * b2;
      c23 += a2 * b3;
      c30 += a3 * b0;
      c31 += a3 * b1;
      c32 += a3 * b2;
      c33 += a3 * b3;
    }
    const i = ip * PANEL;
    const j = jp * PANEL;
    if (i + PANEL <= m && j + PANEL <= n) {
      let o = outOffset + i * n + j;
      if (accumulate) {
        out[o] += c00;
        out[o + 1] += c01;
        out[o + 2] += c02;
        out[o + 3] += c03;
        o += n;
        out[o] += c10;
        out[o + 1] += c11;
        out[o + 2] += c12;
        out[o + 3] += c13;
        o += n;
        out[o] += c20;
        out[o + 1] += c21;
        out[o + 2] += c22;
        out[o + 3] += c23;
        o += n;
        out[o] += c30;
        out[o + 1] += c31;
        out[o + 2] += c32;
        out[o + 3] += c33;
      } else {
        out[o] = c00;
        out[o + 1] = c01;
        out[o + 2] = c02;
        out[o + 3] = c03;
        o += n;
        out[o] = c10;
        out[o + 1] = c11;
        out[o + 2] = c12;
        out[o + 3] = c13;
        o += n;
        out[o] = c20;
        out[o + 1] = c21;
        out[o + 2] = c22;
        out[o + 3] = c23;
        o += n;
        out[o] = c30;
        out[o + 1] = c31;
        out[o + 2] = c32;
        out[o + 3] = c33;
      }
      continue;
    }
    // An edge block: store only the rows and columns inside the output.
    const sums = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
    for (let r = 0; r < PANEL && i + r < m; r++) {
      for (let c = 0; c < PANEL && j + c < n; c++) {
        const o = outOffset + (i + r) * n + j + c;
        out[o] = accumulate ? out[o] + sums[r * PANEL + c] : sums[r * PANEL + c];
      }
    }
  }
}

function packedProduct(
  a: MatrixView,
  b: MatrixView,
  out: Float32Array,
  outOffset: number,
  m: number,
  depth: number,
  n: number,
  packB: boolean,
  accumulate: boolean,
): void {
  packedA = scratch(packedA, Math.ceil(m / PANEL) * PANEL * depth);
  packRows(a, m, depth, packedA);
  if (packB) {
    packedB = scratch(packedB, Math.ceil(n / PANEL) * PANEL * depth);
    packRows(transposed(b), n, depth, packedB);
  }
  panelProduct(packedA, 0, packedB, 0, m, depth, n, out, outOffset, accumulate);
}

/** `view`'s transpose: B's columns are the rows of its transpose. */
export const transposed = (view: MatrixView): MatrixView => ({
  ...view,
  rowStride: view.colStride,
  colStride: view.rowStride,
});

/**
 * Writes (or adds, when `accumulate`) the `m` x `n` product of A and B, both already packed by
 * `packRows` (A's `m` rows from `pa[aStart]`, B's `n` columns from `pb[bStart]`), into `out` from
 * `outOffset`, row-major. For a caller that writes its operands packed in the first place.
 */
export function panelProduct(
  pa: Float32Array,
  aStart: number,
  pb: Float32Array,
  bStart: number,
  m: number,
  depth: number,
  n: number,
  out: Float32Array,
  outOffset: number,
  accumulate: boolean,
): void {
  const rowPanels = Math.ceil(m / PANEL);
  const colPanels = Math.ceil(n / PANEL);
  for (let k0 = 0; k0 < depth; k0 += K_BLOCK) {
    const k1 = Math.min(depth, k0 + K_BLOCK);
    for (let j0 = 0; j0 < colPanels; j0 += PANELS_PER_GROUP) {
      const j1 = Math.min(colPanels, j0 + PANELS_PER_GROUP);
      for (let ip = 0; ip < rowPanels; ip++)
        block4x4(
          pa,
          aStart,
          pb,
          bStart,
          out,
          outOffset,
          m,
          n,
          depth,
          ip,
          j0,
          j1,
          k0,
          k1,
          accumulate || k0 > 0,
        );
    }
  }
}

/** Few rows: each output row is a sum of B's rows, four at a time, so B is read once per row. */
function streamedProduct(
  a: MatrixView,
  b: MatrixView,
  out: Float32Array,
  outOffset: number,
  m: number,
  depth: number,
  n: number,
  accumulate: boolean,
): void {
  const bv = b.values;
  const { rowStride: bk, colStride: bj } = b;
  for (let i = 0; i < m; i++) {
    const o = outOffset + i * n;
    const ai = a.offset + i * a.rowStride;
    const ak = a.colStride;
    if (bj !== 1) {
      // B transposed: its columns are contiguous, so each output is one dot product.
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0, p = b.offset + j * bj, q = ai; k < depth; k++, p += bk, q += ak)
          sum += a.values[q] * bv[p];
        out[o + j] = accumulate ? out[o + j] + sum : sum;
      }
      continue;
    }
    if (!accumulate) for (let j = 0; j < n; j++) out[o + j] = 0;
    let k = 0;
    for (; k + 4 <= depth; k += 4) {
      const x0 = a.values[ai + k * ak];
      const x1 = a.values[ai + (k + 1) * ak];
      const x2 = a.values[ai + (k + 2) * ak];
      const x3 = a.values[ai + (k + 3) * ak];
      const r0 = b.offset + k * bk;
      const r1 = r0 + bk;
      const r2 = r1 + bk;
      const r3 = r2 + bk;
      for (let j = 0; j < n; j++)
        out[o + j] += x0 * bv[r0 + j] + x1 * bv[r1 + j] + x2 * bv[r2 + j] + x3 * bv[r3 + j];
    }
    for (; k < depth; k++) {
      const x = a.values[ai + k * ak];
      const r = b.offset + k * bk;
      for (let j = 0; j < n; j++) out[o + j] += x * bv[r + j];
    }
  }
}

/**
 * Writes the `m` x `n` product of `a` (m x depth) and `b` (depth x n) into `out` from `outOffset`,
 * row-major, or adds it to what is there when `accumulate`. `reuseB` says `b` is the operand of the
 * previous call (a broadcast batch, or the next rows of a convolution), already packed.
 */
export function gemm(
  a: MatrixView,
  b: MatrixView,
  out: Float32Array,
  outOffset: number,
  m: number,
  depth: number,
  n: number,
  reuseB = false,
  accumulate = false,
): void {
  if (m < STREAM_ROWS) streamedProduct(a, b, out, outOffset, m, depth, n, accumulate);
  else packedProduct(a, b, out, outOffset, m, depth, n, !reuseB, accumulate);
}
