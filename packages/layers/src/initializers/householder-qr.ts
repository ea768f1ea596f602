import { ValueError } from '@strata/core';

/**
 * The orthonormal factor of a thin QR decomposition, computed with Householder reflections on plain
 * Float64Arrays.
 *
 * Why not `tf.linalg.qr`: tfjs builds it from one small op per reflection and per column (slices,
 * matMuls, concats), each a separate kernel call with its own allocation. On the cpu backend that takes
 * about 31 s for a 784×128 matrix and minutes for 1024×256, while the arithmetic itself (~2·m·n² flops)
 * is a few milliseconds of plain loops. The initializer needs the result once, on the host, so it is
 * computed here in one pass over flat arrays.
 *
 * `a` is an `m × n` matrix (m >= n) in row-major order. Returns Q (m × n, orthonormal columns) in
 * column-major order, so that column j is `q.subarray(j * m, (j + 1) * m)`, and the diagonal of R.
 * A = Q·R with R upper triangular; the signs of R's diagonal are whatever the reflections give (as with
 * LAPACK's), so callers that want the unique factor multiply each column by the sign of R's entry.
 */
export function householderQR(
  a: ArrayLike<number>,
  m: number,
  n: number,
): { q: Float64Array; rDiag: Float64Array } {
  if (!(m >= n && n >= 0) || a.length !== m * n) {
    throw new ValueError(
      `householderQR needs an m x n matrix with m >= n; got ${m} x ${n} (${a.length} values).`,
    );
  }
  // Column-major working copy: every inner loop below walks one column, contiguously.
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a[i * n + j];
  const vs = new Float64Array(m * n); // reflection k's vector in column k, rows k..m-1
  const betas = new Float64Array(n);
  const rDiag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const col = k * m;
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += w[col + i] * w[col + i];
    const norm = Math.sqrt(norm2);
    if (norm === 0) continue; // a zero column: nothing to reflect, R's entry is 0
    // Reflect x onto -sign(x0)·|x|·e1, which avoids cancellation in v0 = x0 - alpha.
    const alpha = w[col + k] > 0 ? -norm : norm;
    rDiag[k] = alpha;
    let vNorm2 = 0;
    for (let i = k; i < m; i++) {
      const v = i === k ? w[col + k] - alpha : w[col + i];
      vs[col + i] = v;
      vNorm2 += v * v;
    }
    const beta = vNorm2 > 0 ? 2 / vNorm2 : 0;
    betas[k] = beta;
    for (let j = k + 1; j < n; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += vs[col + i] * w[cj + i];
      const s = beta * dot;
      for (let i = k; i < m; i++) w[cj + i] -= s * vs[col + i];
    }
  }
  // Q = H0·H1·…·H(n-1) applied to the first n columns of the identity, last reflection first. Column
  // j < k is still e_j there (zero in rows k..m-1), so reflection k only touches columns k..n-1.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * m + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const beta = betas[k];
    if (beta === 0) continue;
    const col = k * m;
    for (let j = k; j < n; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = k; i < m; i++) dot += vs[col + i] * q[cj + i];
      const s = beta * dot;
      for (let i = k; i < m; i++) q[cj + i] -= s * vs[col + i];
    }
  }
  return { q, rDiag };
}
