/**
 * 3x3, stride-1 convolutions as Winograd's minimal filtering F(2x2, 3x3), on the packed GEMM.
 *
 * Why: on the JavaScript cpu backend the GEMM is the ceiling (scalar code, ~5 GFLOP/s here), so the way
 * left to a faster 3x3 convolution is fewer multiplications. F(2x2, 3x3) makes each 2x2 block of output
 * pixels from a 4x4 block of input (a tile) with 16 products per channel pair instead of 36: 2.25x fewer
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015). Per block of tiles:
 * - each tile's 4x4 input, per channel, becomes `V = Bᵀ d B` (16 values, by additions only);
 * - the 16 positions are 16 independent matrix products `M[e] = V[e] · U[e]`, `[tiles, in] · [in, out]`,
 *   with `U = G g Gᵀ` the filter transformed once per call;
 * - each tile's 2x2 output, per output channel, is `Aᵀ M A`.
 * The input gradient is the same correlation of dy with the filter turned and transposed; the filter
 * gradient is F(3x3, 2x2) over the same tiles (`winogradFilterGradient`).
 * The transforms' coefficients are ±1 and ½, so the results match the direct product within float32
 * rounding. Tiles are taken in whole rows of tiles, so the output of a block is a contiguous range of
 * pixels that a block epilogue (bias, relu) can finish while it is in cache.
 */
import type { BlockEpilogue } from './conv2d.js';
import { gemm, type MatrixView, rowMajor } from './gemm.js';

/** The geometry of one stride-1 correlation with a 3x3 filter, NHWC, any padding (negative crops). */
export interface Winograd3x3 {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  padTop: number;
  padLeft: number;
}

/** The tiles of one block's transformed inputs and products hold about this many floats (512 KiB). */
const BLOCK_FLOATS = 1 << 17;

// Scratch reused across calls (kernels run one at a time on the thread): a tile's input with its
// padding, the block's transformed inputs `[16][tiles][in]` and products `[16][tiles][out]`.
let tileInput = new Float32Array(0);
let transformed = new Float32Array(0);
let products = new Float32Array(0);
// Bᵀ d of one channel of a tile; Aᵀ M of one channel pair of the filter gradient.
const columns = new Float64Array(16);
const rowsOfA = new Float64Array(12);

/**
 * `U = G g Gᵀ` for every channel pair of a `[3, 3, in, out]` filter: `[16][in][out]`. `at(ky, kx, c, k)`
 * reads the filter, so a flipped or transposed filter is transformed without a copy.
 */
export function transformFilter(
  inChannels: number,
  outChannels: number,
  at: (ky: number, kx: number, c: number, k: number) => number,
): Float32Array {
  const plane = inChannels * outChannels;
  const u = new Float32Array(16 * plane);
  const g = new Float64Array(9);
  const gg = new Float64Array(12);
  for (let c = 0; c < inChannels; c++) {
    for (let k = 0; k < outChannels; k++) {
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) g[ky * 3 + kx] = at(ky, kx, c, k);
      // G g: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2.
      for (let kx = 0; kx < 3; kx++) {
        const g0 = g[kx];
        const g1 = g[3 + kx];
        const g2 = g[6 + kx];
        gg[kx] = g0;
        gg[3 + kx] = (g0 + g1 + g2) / 2;
        gg[6 + kx] = (g0 - g1 + g2) / 2;
        gg[9 + kx] = g2;
      }
      // (G g) Gᵀ: the same combination along each row.
      for (let i = 0; i < 4; i++) {
        const a0 = gg[i * 3];
        const a1 = gg[i * 3 + 1];
        const a2 = gg[i * 3 + 2];
        const at0 = i * 4 * plane + c * outChannels + k;
        u[at0] = a0;
        u[at0 + plane] = (a0 + a1 + a2) / 2;
        u[at0 + 2 * plane] = (a0 - a1 + a2) / 2;
        u[at0 + 3 * plane] = a2;
      }
    }
  }
  return u;
}

/** Copies the 4x4 input of a tile at the input's edge, all channels, zero outside the input. */
function gatherTile(x: Float32Array, g: Winograd3x3, image: number, y0: number, x0: number): void {
  const { inHeight, inWidth, inChannels: c } = g;
  for (let i = 0; i < 4; i++) {
    const iy = y0 + i;
    for (let j = 0; j < 4; j++) {
      const ix = x0 + j;
      const to = (i * 4 + j) * c;
      if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) {
        tileInput.fill(0, to, to + c);
      } else {
        const from = ((image * inHeight + iy) * inWidth + ix) * c;
        for (let ch = 0; ch < c; ch++) tileInput[to + ch] = x[from + ch];
      }
    }
  }
}

/**
 * `Bᵀ d B` of one tile, per channel, into row `t` of the 16 `[tiles, in]` matrices: `d[i][j]` (all
 * channels) starts at `d[from + i * rowStep + j * c]`, in the input itself or in a gathered copy.
 */
function transformTile(
  d: Float32Array,
  from: number,
  rowStep: number,
  t: number,
  tiles: number,
  c: number,
): void {
  const plane = tiles * c;
  const base = t * c;
  for (let ch = 0; ch < c; ch++) {
    // Bᵀ d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3; then the same along each row.
    for (let j = 0, at = from + ch; j < 4; j++, at += c) {
      const d0 = d[at];
      const d1 = d[at + rowStep];
      const d2 = d[at + 2 * rowStep];
      const d3 = d[at + 3 * rowStep];
      columns[j] = d0 - d2;
      columns[4 + j] = d1 + d2;
      columns[8 + j] = d2 - d1;
      columns[12 + j] = d1 - d3;
    }
    for (let i = 0; i < 4; i++) {
      const a0 = columns[i * 4];
      const a1 = columns[i * 4 + 1];
      const a2 = columns[i * 4 + 2];
      const a3 = columns[i * 4 + 3];
      const o = i * 4 * plane + base + ch;
      transformed[o] = a0 - a2;
      transformed[o + plane] = a1 + a2;
      transformed[o + 2 * plane] = a2 - a1;
      transformed[o + 3 * plane] = a1 - a3;
    }
  }
}

/** `Aᵀ M A` of tile `t`'s products, per output channel, written to the output pixels inside it. */
function untransformTile(
  t: number,
  tiles: number,
  g: Winograd3x3,
  out: Float32Array,
  image: number,
  oy: number,
  ox: number,
): void {
  const { outHeight, outWidth, outChannels: k } = g;
  const plane = tiles * k;
  const m = products;
  const rows = Math.min(2, outHeight - oy);
  const cols = Math.min(2, outWidth - ox);
  const o00 = ((image * outHeight + oy) * outWidth + ox) * k;
  const o10 = o00 + outWidth * k;
  // Aᵀ M: rows m0 + m1 + m2 and m1 - m2 - m3 (m_i the i-th row of the 4x4 products); then (Aᵀ M) A, the
  // same two combinations of its columns.
  for (let ch = 0, p = t * k; ch < k; ch++, p++) {
    const top0 = m[p] + m[4 * plane + p] + m[8 * plane + p];
    const top1 = m[plane + p] + m[5 * plane + p] + m[9 * plane + p];
    const top2 = m[2 * plane + p] + m[6 * plane + p] + m[10 * plane + p];
    const top3 = m[3 * plane + p] + m[7 * plane + p] + m[11 * plane + p];
    out[o00 + ch] = top0 + top1 + top2;
    if (cols === 2) out[o00 + k + ch] = top1 - top2 - top3;
    if (rows === 2) {
      const bottom0 = m[4 * plane + p] - m[8 * plane + p] - m[12 * plane + p];
      const bottom1 = m[5 * plane + p] - m[9 * plane + p] - m[13 * plane + p];
      const bottom2 = m[6 * plane + p] - m[10 * plane + p] - m[14 * plane + p];
      const bottom3 = m[7 * plane + p] - m[11 * plane + p] - m[15 * plane + p];
      out[o10 + ch] = bottom0 + bottom1 + bottom2;
      if (cols === 2) out[o10 + k + ch] = bottom1 - bottom2 - bottom3;
    }
  }
}

/** How the output is cut into 2x2 tiles, and how many rows of tiles one block takes; sizes the scratch. */
function tiling(g: Winograd3x3) {
  const { batch, inChannels: c, outChannels: k, outHeight, outWidth } = g;
  const tilesAcross = Math.ceil(outWidth / 2);
  const tileRowsPerImage = Math.ceil(outHeight / 2);
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_FLOATS / (16 * (c + k) * tilesAcross)));
  const maxTiles = rowsPerBlock * tilesAcross;
  if (tileInput.length < 16 * c) tileInput = new Float32Array(16 * c);
  if (transformed.length < 16 * maxTiles * c) transformed = new Float32Array(16 * maxTiles * c);
  if (products.length < 16 * maxTiles * k) products = new Float32Array(16 * maxTiles * k);
  return { tilesAcross, tileRowsPerImage, tileRows: batch * tileRowsPerImage, rowsPerBlock };
}

/** `Bᵀ d B` of the input under every tile of tile rows `r0 .. r1` (counted over the batch). */
function transformInputs(x: Float32Array, g: Winograd3x3, r0: number, r1: number): void {
  const { inHeight, inWidth, inChannels: c, padTop, padLeft } = g;
  const { tilesAcross, tileRowsPerImage } = tiling(g);
  const tiles = (r1 - r0) * tilesAcross;
  for (let r = r0, t = 0; r < r1; r++) {
    const image = Math.floor(r / tileRowsPerImage);
    const y0 = (r - image * tileRowsPerImage) * 2 - padTop;
    const rowsInside = y0 >= 0 && y0 + 4 <= inHeight;
    for (let tx = 0; tx < tilesAcross; tx++, t++) {
      const x0 = tx * 2 - padLeft;
      if (rowsInside && x0 >= 0 && x0 + 4 <= inWidth) {
        transformTile(x, ((image * inHeight + y0) * inWidth + x0) * c, inWidth * c, t, tiles, c);
      } else {
        gatherTile(x, g, image, y0, x0);
        transformTile(tileInput, 0, 4 * c, t, tiles, c);
      }
    }
  }
}

/**
 * The correlation of NHWC `x` with the filter `u` (from `transformFilter`), into NHWC `out`;
 * `epilogue(out, from, to)` runs on each block's output values as they are made.
 */
export function winogradConvolve(
  x: Float32Array,
  u: Float32Array,
  g: Winograd3x3,
  out: Float32Array,
  epilogue?: BlockEpilogue,
): void {
  const { inChannels: c, outChannels: k, outHeight, outWidth } = g;
  const { tilesAcross, tileRowsPerImage, tileRows, rowsPerBlock } = tiling(g);
  // The first output pixel of tile row `row` (counted over the batch); the end of an image's last tile
  // row is the next image's first pixel, even when the output's height is odd.
  const pixel = (row: number) => {
    const image = Math.floor(row / tileRowsPerImage);
    return (image * outHeight + (row - image * tileRowsPerImage) * 2) * outWidth;
  };
  for (let r0 = 0; r0 < tileRows; r0 += rowsPerBlock) {
    const r1 = Math.min(tileRows, r0 + rowsPerBlock);
    const tiles = (r1 - r0) * tilesAcross;
    transformInputs(x, g, r0, r1);
    for (let e = 0; e < 16; e++) {
      gemm(
        rowMajor(transformed, e * tiles * c, c),
        rowMajor(u, e * c * k, k),
        products,
        e * tiles * k,
        tiles,
        c,
        k,
      );
    }
    for (let r = r0, t = 0; r < r1; r++) {
      const image = Math.floor(r / tileRowsPerImage);
      const oy = (r - image * tileRowsPerImage) * 2;
      for (let tx = 0; tx < tilesAcross; tx++, t++) untransformTile(t, tiles, g, out, image, oy, tx * 2);
    }
    epilogue?.(out, pixel(r0) * k, pixel(r1) * k);
  }
}

/**
 * `G D Gᵀ` of the 2x2 block of dy of every tile of tile rows `r0 .. r1`, per output channel, into the
 * 16 `[tiles, out]` matrices, with the entries of row or column 3 negated once: the filter gradient's
 * input transform is the forward's with its last row negated (see `winogradFilterGradient`).
 */
function transformGradients(dy: Float32Array, g: Winograd3x3, r0: number, r1: number): void {
  const { outHeight, outWidth, outChannels: k } = g;
  const { tilesAcross, tileRowsPerImage } = tiling(g);
  const tiles = (r1 - r0) * tilesAcross;
  const plane = tiles * k;
  const d = products;
  for (let r = r0, t = 0; r < r1; r++) {
    const image = Math.floor(r / tileRowsPerImage);
    const oy = (r - image * tileRowsPerImage) * 2;
    const secondRow = oy + 1 < outHeight;
    for (let tx = 0; tx < tilesAcross; tx++, t++) {
      const ox = tx * 2;
      const secondColumn = ox + 1 < outWidth;
      const at00 = ((image * outHeight + oy) * outWidth + ox) * k;
      const at10 = at00 + outWidth * k;
      for (let ch = 0, o = t * k; ch < k; ch++, o++) {
        const d00 = dy[at00 + ch];
        const d01 = secondColumn ? dy[at00 + k + ch] : 0;
        const d10 = secondRow ? dy[at10 + ch] : 0;
        const d11 = secondRow && secondColumn ? dy[at10 + k + ch] : 0;
        // G D: rows D0, (D0 + D1) / 2, (D0 - D1) / 2 and -D1 (the sign); then each row [a0, a1] becomes
        // [a0, (a0 + a1) / 2, (a0 - a1) / 2, -a1].
        gradientRow(d, o, plane, d00, d01);
        gradientRow(d, o + 4 * plane, plane, (d00 + d10) / 2, (d01 + d11) / 2);
        gradientRow(d, o + 8 * plane, plane, (d00 - d10) / 2, (d01 - d11) / 2);
        gradientRow(d, o + 12 * plane, plane, -d10, -d11);
      }
    }
  }
}

function gradientRow(d: Float32Array, at: number, plane: number, a0: number, a1: number): void {
  d[at] = a0;
  d[at + plane] = (a0 + a1) / 2;
  d[at + 2 * plane] = (a0 - a1) / 2;
  d[at + 3 * plane] = -a1;
}

/**
 * The filter gradient of the correlation `g` describes, `dW[ky][kx][c][k] = Σ x[n, y + ky - padTop,
 * x + kx - padLeft, c] · dy[n, y, x, k]` over images and output pixels: `[3, 3, in, out]`. This is
 * F(3x3, 2x2): each 2x2 block of dy and the 4x4 input under it give a 3x3 contribution with 16 products
 * per channel pair instead of 36, `Aᵀ [(G D Gᵀ) ⊙ (Bᵀ X B)] A` with Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0;
 * 0 -1 0 1], G = [1 0; ½ ½; ½ -½; 0 1], Aᵀ = [1 1 1 0; 0 1 -1 0; 0 1 1 1]. Summed over tiles, the 16
 * positions are 16 products `V[e]ᵀ · D[e]`, `[in, tiles] · [tiles, out]`, accumulated over the blocks,
 * and `Aᵀ M A` runs once per channel pair at the end. This Bᵀ is the forward's with its last row
 * negated, so the forward's input transform is reused and the sign moved onto dy's.
 */
export function winogradFilterGradient(x: Float32Array, dy: Float32Array, g: Winograd3x3): Float32Array {
  const { inChannels: c, outChannels: k } = g;
  const { tilesAcross, tileRows, rowsPerBlock } = tiling(g);
  const plane = c * k;
  const sums = new Float32Array(16 * plane);
  for (let r0 = 0; r0 < tileRows; r0 += rowsPerBlock) {
    const r1 = Math.min(tileRows, r0 + rowsPerBlock);
    const tiles = (r1 - r0) * tilesAcross;
    transformInputs(x, g, r0, r1);
    transformGradients(dy, g, r0, r1);
    for (let e = 0; e < 16; e++) {
      // V[e]ᵀ: `[in, tiles]` read from the `[tiles, in]` rows.
      const inputsT: MatrixView = { values: transformed, offset: e * tiles * c, rowStride: 1, colStride: c };
      gemm(inputsT, rowMajor(products, e * tiles * k, k), sums, e * plane, c, tiles, k, false, r0 > 0);
    }
  }
  const dw = new Float32Array(9 * plane);
  // Aᵀ M A per channel pair: Aᵀ's rows combine the 4x4 sums' rows into m0 + m1 + m2, m1 - m2 and
  // m1 + m2 + m3, then the same three combinations of each result's four columns.
  const m = (i: number, j: number, p: number) => sums[(i * 4 + j) * plane + p];
  for (let p = 0; p < plane; p++) {
    for (let j = 0; j < 4; j++) {
      const m0 = m(0, j, p);
      const m1 = m(1, j, p);
      const m2 = m(2, j, p);
      const m3 = m(3, j, p);
      rowsOfA[j] = m0 + m1 + m2;
      rowsOfA[4 + j] = m1 - m2;
      rowsOfA[8 + j] = m1 + m2 + m3;
    }
    for (let ky = 0; ky < 3; ky++) {
      const a0 = rowsOfA[ky * 4];
      const a1 = rowsOfA[ky * 4 + 1];
      const a2 = rowsOfA[ky * 4 + 2];
      const a3 = rowsOfA[ky * 4 + 3];
      dw[ky * 3 * plane + p] = a0 + a1 + a2;
      dw[(ky * 3 + 1) * plane + p] = a1 - a2;
      dw[(ky * 3 + 2) * plane + p] = a1 + a2 + a3;
    }
  }
  return dw;
}
