/**
 * 3x3, stride-1 convolutions as Winograd's minimal filtering F(2x2, 3x3), F(4x4, 3x3) or F(6x6, 3x3), on
 * the packed GEMM.
 *
 * Why: on the JavaScript cpu backend the GEMM is the ceiling (scalar code, ~5 GFLOP/s here), so the way
 * left to a faster 3x3 convolution is fewer multiplications. F(2x2, 3x3) makes each 2x2 block of output
 * pixels from a 4x4 block of input (a tile) with 16 products per channel pair instead of 36: 2.25x fewer
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015). Per block of tiles:
 * - each tile's 4x4 input, per channel, becomes `V = Bᵀ d B` (16 values, by additions only);
 * - the 16 positions are 16 independent matrix products `M[e] = V[e] · U[e]`, `[tiles, in] · [in, out]`,
 *   with `U = G g Gᵀ` the filter transformed once per call;
 * - each tile's 2x2 output, per output channel, is `Aᵀ M A`.
 * F(4x4, 3x3) makes 4x4 outputs from a 6x6 tile with 36 products: 4x fewer than direct, 1.78x fewer
 * than F(2x2, 3x3), for larger transforms (coefficients up to 8 and 1/24) and a little more rounding
 * (within 1e-5 of the largest output here). F(6x6, 3x3) makes 6x6 outputs from an 8x8 tile with 64
 * products (5.1x fewer than direct): on an 11x11 output (the MNIST convnet's second layer) 4 tiles of 64
 * products against F(4x4, 3x3)'s 9 of 36, 21% fewer. Its transforms have coefficients up to 32 and
 * 1/90; they are computed in double and rounded once when stored, which keeps it within 1e-5 of the
 * largest output too (the rounding of the stored transforms, estimated in doubles over 32 channels:
 * ~1e-6 typical, ~3e-6 worst, against ~5e-7 and ~3e-6 for F(4x4, 3x3)). `winogradConvolve` takes
 * whichever needs the fewest products for the output's size (a tile partly outside the output is wasted
 * work). The input gradient is the same correlation of dy with the filter turned and transposed; the
 * filter gradient is F(3x3, 2x2) or F(3x3, 4x4) (`winogradFilterGradient`).
 * F(2x2, 3x3)'s coefficients are ±1 and ½, so its results match the direct product within float32
 * rounding. A fused bias and relu are added as the output transform stores each value.
 */
import { type BiasRelu, reluIf } from './bias-relu.js';
import { gemm, type MatrixView, PANEL, panelProduct, rowMajor } from './gemm.js';

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
// padding, the block's transformed inputs `[alpha²][tiles][in]` and products `[alpha²][tiles][out]`.
let tileInput = new Float32Array(0);
let transformed = new Float32Array(0);
let products = new Float32Array(0);
// Bᵀ d of one channel of a tile; Aᵀ M of one channel pair of the filter gradient (or one output
// channel of a tile).
const columns = new Float64Array(64);
/** Where a tile transform writes: the block's matrices, or a one-tile scratch. */
type Scratch = Float32Array | Float64Array;
// One 4x4 block of dy, one channel (the filter gradient's F(3x3, 4x4)).
const block = new Float64Array(16);
const rowsOfA = new Float64Array(48);
// One row of F(6x6, 3x3)'s output transform.
const outputRow = new Float64Array(6);

/**
 * One minimal filtering F(m x m, 3x3): a tile of `alpha` x `alpha` inputs (alpha = m + 2) gives m x m
 * outputs. `G` is its filter transform (alpha x 3); `transformTile` writes `Bᵀ d B` of one tile and
 * `untransformTile` writes `Aᵀ M A` to the output pixels inside the tile.
 */
interface WinogradTile {
  m: number;
  alpha: number;
  G: readonly (readonly number[])[];
  transformTile: TransformTile;
  untransformTile: UntransformTile;
}

/**
 * `Bᵀ d B` of one tile, per channel, into `transformed`: position `e` of channel `ch` at
 * `transformed[to + e * plane + ch * step]` (see `TileLayout`). `d[i][j]` (all `c` channels) starts at
 * `d[from + i * rowStep + j * c]`, in the input itself or in a gathered copy.
 */
type TransformTile = (
  d: Float32Array,
  from: number,
  rowStep: number,
  c: number,
  to: number,
  plane: number,
  step: number,
) => void;

/**
 * Where the transformed inputs of a block of `tiles` tiles go: per position, a `[tiles, in]` matrix,
 * row-major (`plain`) or already in the GEMM's packed panels of four rows (`packed`, for
 * `panelProduct`). Tile `t`'s channel `ch` at position `e` is at `e * plane + first(t) + ch * step`.
 */
function tileLayout(tiles: number, c: number, packed: boolean) {
  return packed
    ? {
        plane: Math.ceil(tiles / PANEL) * PANEL * c,
        first: (t: number) => (t - (t % PANEL)) * c + (t % PANEL),
        step: PANEL,
      }
    : { plane: tiles * c, first: (t: number) => t * c, step: 1 };
}

/**
 * `Aᵀ M A` of tile `t`'s products, per output channel, to the output pixels inside the tile: `rows` x
 * `cols` of them (fewer than m at the output's edge), the first at `out[o00]`; each value plus
 * `bias[channel]`, then relu if `relu`.
 */
type UntransformTile = (
  t: number,
  tiles: number,
  g: Winograd3x3,
  out: Float32Array,
  o00: number,
  rows: number,
  cols: number,
  bias: Float32Array,
  relu: boolean,
) => void;

/**
 * `U = G g Gᵀ` for every channel pair of a `[3, 3, in, out]` filter: alpha² `[in, out]` matrices, each
 * packed for `panelProduct` (its columns in panels of four), `plane` floats apart.
 * `at(ky, kx, c, k)` reads the filter, so a flipped or transposed filter is transformed without a copy.
 */
function transformFilter(
  inChannels: number,
  outChannels: number,
  at: (ky: number, kx: number, c: number, k: number) => number,
  tile: WinogradTile,
): Float32Array {
  const { alpha, G } = tile;
  const plane = filterPlane(inChannels, outChannels);
  const u = new Float32Array(alpha * alpha * plane);
  const g = new Float64Array(9);
  const gg = new Float64Array(alpha * 3);
  for (let c = 0; c < inChannels; c++) {
    for (let k = 0; k < outChannels; k++) {
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) g[ky * 3 + kx] = at(ky, kx, c, k);
      // G g, then (G g) Gᵀ.
      for (let i = 0; i < alpha; i++) {
        for (let kx = 0; kx < 3; kx++)
          gg[i * 3 + kx] = G[i][0] * g[kx] + G[i][1] * g[3 + kx] + G[i][2] * g[6 + kx];
      }
      for (let i = 0; i < alpha; i++) {
        for (let j = 0; j < alpha; j++) {
          const v = gg[i * 3] * G[j][0] + gg[i * 3 + 1] * G[j][1] + gg[i * 3 + 2] * G[j][2];
          u[(i * alpha + j) * plane + (k - (k % PANEL)) * inChannels + c * PANEL + (k % PANEL)] = v;
        }
      }
    }
  }
  return u;
}

/** The floats of one position of `transformFilter`'s output: `[in, out]` with out padded to panels. */
const filterPlane = (inChannels: number, outChannels: number) =>
  Math.ceil(outChannels / PANEL) * PANEL * inChannels;

/** Copies the alpha x alpha input of a tile at the input's edge, all channels, zero outside the input. */
function gatherTile(
  x: Float32Array,
  g: Winograd3x3,
  alpha: number,
  image: number,
  y0: number,
  x0: number,
): void {
  const { inHeight, inWidth, inChannels: c } = g;
  for (let i = 0; i < alpha; i++) {
    const iy = y0 + i;
    for (let j = 0; j < alpha; j++) {
      const ix = x0 + j;
      const to = (i * alpha + j) * c;
      if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) {
        tileInput.fill(0, to, to + c);
      } else {
        const from = ((image * inHeight + iy) * inWidth + ix) * c;
        for (let ch = 0; ch < c; ch++) tileInput[to + ch] = x[from + ch];
      }
    }
  }
}

/** F(2x2, 3x3)'s `Bᵀ d B` (a `TransformTile`). */
const transformTile2: TransformTile = (d, from, rowStep, c, to, plane, step) => {
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
      const o = i * 4 * plane + to + ch * step;
      transformed[o] = a0 - a2;
      transformed[o + plane] = a1 + a2;
      transformed[o + 2 * plane] = a2 - a1;
      transformed[o + 3 * plane] = a1 - a3;
    }
  }
};

/** F(2x2, 3x3)'s `Aᵀ M A` (an `UntransformTile`). */
const untransformTile2: UntransformTile = (t, tiles, g, out, o00, rows, cols, bias, relu) => {
  const { outWidth, outChannels: k } = g;
  const plane = tiles * k;
  const m = products;
  const o10 = o00 + outWidth * k;
  // Aᵀ M: rows m0 + m1 + m2 and m1 - m2 - m3 (m_i the i-th row of the 4x4 products); then (Aᵀ M) A, the
  // same two combinations of its columns.
  for (let ch = 0, p = t * k; ch < k; ch++, p++) {
    const top0 = m[p] + m[4 * plane + p] + m[8 * plane + p];
    const top1 = m[plane + p] + m[5 * plane + p] + m[9 * plane + p];
    const top2 = m[2 * plane + p] + m[6 * plane + p] + m[10 * plane + p];
    const top3 = m[3 * plane + p] + m[7 * plane + p] + m[11 * plane + p];
    const b = bias[ch];
    out[o00 + ch] = reluIf(top0 + top1 + top2 + b, relu);
    if (cols === 2) out[o00 + k + ch] = reluIf(top1 - top2 - top3 + b, relu);
    if (rows === 2) {
      const bottom0 = m[4 * plane + p] - m[8 * plane + p] - m[12 * plane + p];
      const bottom1 = m[5 * plane + p] - m[9 * plane + p] - m[13 * plane + p];
      const bottom2 = m[6 * plane + p] - m[10 * plane + p] - m[14 * plane + p];
      const bottom3 = m[7 * plane + p] - m[11 * plane + p] - m[15 * plane + p];
      out[o10 + ch] = reluIf(bottom0 + bottom1 + bottom2 + b, relu);
      if (cols === 2) out[o10 + k + ch] = reluIf(bottom1 - bottom2 - bottom3 + b, relu);
    }
  }
};

/**
 * F(4x4, 3x3)'s `Bᵀ d B` of a 6x6 tile (a `TransformTile`). Bᵀ's rows: [4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0],
 * [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1].
 */
const transformTile4: TransformTile = (d, from, rowStep, c, to, plane, step) => {
  for (let ch = 0; ch < c; ch++) {
    for (let j = 0, at = from + ch; j < 6; j++, at += c) {
      combineB(
        columns,
        j,
        6,
        d[at],
        d[at + rowStep],
        d[at + 2 * rowStep],
        d[at + 3 * rowStep],
        d[at + 4 * rowStep],
        d[at + 5 * rowStep],
      );
    }
    for (let i = 0; i < 6; i++) {
      const r = i * 6;
      const o = r * plane + to + ch * step;
      combineB(
        transformed,
        o,
        plane,
        columns[r],
        columns[r + 1],
        columns[r + 2],
        columns[r + 3],
        columns[r + 4],
        columns[r + 5],
      );
    }
  }
};

/** Bᵀ of F(4x4, 3x3) applied to `d0 .. d5`, written to `to[at + i * step]` for i = 0 .. 5. */
function combineB(
  to: Scratch,
  at: number,
  step: number,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  d4: number,
  d5: number,
): void {
  to[at] = 4 * d0 - 5 * d2 + d4;
  to[at + step] = d3 + d4 - 4 * (d1 + d2);
  to[at + 2 * step] = d4 - d3 + 4 * (d1 - d2);
  to[at + 3 * step] = d4 - d2 + 2 * (d3 - d1);
  to[at + 4 * step] = d4 - d2 - 2 * (d3 - d1);
  to[at + 5 * step] = 4 * d1 - 5 * d3 + d5;
}

/**
 * F(4x4, 3x3)'s `Aᵀ M A` (an `UntransformTile`).
 * Aᵀ's rows: [1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1].
 */
const untransformTile4: UntransformTile = (t, tiles, g, out, o00, rows, cols, bias, relu) => {
  const { outWidth, outChannels: k } = g;
  const plane = tiles * k;
  const m = products;
  for (let ch = 0, p = t * k; ch < k; ch++, p++) {
    const b = bias[ch];
    // Aᵀ M: the four combinations of the products' six rows, per column.
    for (let j = 0, q = p; j < 6; j++, q += plane) {
      const s12 = m[q + 6 * plane] + m[q + 12 * plane];
      const d12 = m[q + 6 * plane] - m[q + 12 * plane];
      const s34 = m[q + 18 * plane] + m[q + 24 * plane];
      const d34 = m[q + 18 * plane] - m[q + 24 * plane];
      rowsOfA[j] = m[q] + s12 + s34;
      rowsOfA[6 + j] = d12 + 2 * d34;
      rowsOfA[12 + j] = s12 + 4 * s34;
      rowsOfA[18 + j] = d12 + 8 * d34 + m[q + 30 * plane];
    }
    // (Aᵀ M) A: the same combinations of each row's six columns, for the pixels inside the output.
    for (let i = 0; i < rows; i++) {
      const r = i * 6;
      const s12 = rowsOfA[r + 1] + rowsOfA[r + 2];
      const d12 = rowsOfA[r + 1] - rowsOfA[r + 2];
      const s34 = rowsOfA[r + 3] + rowsOfA[r + 4];
      const d34 = rowsOfA[r + 3] - rowsOfA[r + 4];
      const o = o00 + i * outWidth * k + ch;
      out[o] = reluIf(rowsOfA[r] + s12 + s34 + b, relu);
      if (cols > 1) out[o + k] = reluIf(d12 + 2 * d34 + b, relu);
      if (cols > 2) out[o + 2 * k] = reluIf(s12 + 4 * s34 + b, relu);
      if (cols > 3) out[o + 3 * k] = reluIf(d12 + 8 * d34 + rowsOfA[r + 5] + b, relu);
    }
  }
};

/**
 * One of F(6x6, 3x3)'s transforms along a row or column of eight values, read from
 * `from[fromAt + i * fromStep]` and written to `to[at + i * step]`.
 */
type Combine8 = (
  to: Scratch,
  at: number,
  step: number,
  from: Scratch,
  fromAt: number,
  fromStep: number,
) => void;

/**
 * F(6x6, 3x3)'s `Bᵀ d B` of an 8x8 tile (a `TransformTile`), at the points 0, ±1, ±2, ±½ and ∞. Bᵀ's rows:
 * [1, 0, -21/4, 0, 21/4, 0, -1, 0], [0, 1, 1, -17/4, -17/4, 1, 1, 0], [0, -1, 1, 17/4, -17/4, -1, 1, 0],
 * [0, 1/2, 1/4, -5/2, -5/4, 2, 1, 0], [0, -1/2, 1/4, 5/2, -5/4, -2, 1, 0], [0, 2, 4, -5/2, -5, 1/2, 1, 0],
 * [0, -2, 4, 5/2, -5, -1/2, 1, 0], [0, -1, 0, 21/4, 0, -21/4, 0, 1].
 */
const transformTile6: TransformTile = (d, from, rowStep, c, to, plane, step) => {
  for (let ch = 0; ch < c; ch++) {
    for (let j = 0; j < 8; j++) combineB6(columns, j, 8, d, from + ch + j * c, rowStep);
    for (let i = 0; i < 8; i++)
      combineB6(transformed, i * 8 * plane + to + ch * step, plane, columns, i * 8, 1);
  }
};

/**
 * Bᵀ of F(6x6, 3x3) applied to `d0 .. d7`, read from `from[fromAt + i * fromStep]` and written to
 * `to[at + i * step]` for i = 0 .. 7: rows 1 to 6 are pairs, the sum and the difference of an even and
 * an odd combination.
 */
const combineB6: Combine8 = (to, at, step, from, fromAt, fromStep) => {
  const d0 = from[fromAt];
  const d1 = from[fromAt + fromStep];
  const d2 = from[fromAt + 2 * fromStep];
  const d3 = from[fromAt + 3 * fromStep];
  const d4 = from[fromAt + 4 * fromStep];
  const d5 = from[fromAt + 5 * fromStep];
  const d6 = from[fromAt + 6 * fromStep];
  const d7 = from[fromAt + 7 * fromStep];
  const even1 = d2 + d6 - 4.25 * d4;
  const odd1 = d1 + d5 - 4.25 * d3;
  const even3 = d6 + 0.25 * d2 - 1.25 * d4;
  const odd3 = 0.5 * d1 - 2.5 * d3 + 2 * d5;
  const even5 = d6 + 4 * d2 - 5 * d4;
  const odd5 = 2 * d1 - 2.5 * d3 + 0.5 * d5;
  to[at] = d0 - d6 + 5.25 * (d4 - d2);
  to[at + step] = even1 + odd1;
  to[at + 2 * step] = even1 - odd1;
  to[at + 3 * step] = even3 + odd3;
  to[at + 4 * step] = even3 - odd3;
  to[at + 5 * step] = even5 + odd5;
  to[at + 6 * step] = even5 - odd5;
  to[at + 7 * step] = d7 - d1 + 5.25 * (d3 - d5);
};

/**
 * F(6x6, 3x3)'s `Aᵀ M A` (an `UntransformTile`). Aᵀ's rows are the powers 0 to 5 of the points
 * [0, 1, -1, 2, -2, ½, -½] (0⁰ = 1) and a last column [0, 0, 0, 0, 0, 1] for ∞.
 */
const untransformTile6: UntransformTile = (t, tiles, g, out, o00, rows, cols, bias, relu) => {
  const { outWidth, outChannels: k } = g;
  const plane = tiles * k;
  const m = products;
  for (let ch = 0, p = t * k; ch < k; ch++, p++) {
    const b = bias[ch];
    // Aᵀ M: the six combinations of the products' eight rows, per column.
    for (let j = 0; j < 8; j++) combineA6(rowsOfA, j, 8, m, p + j * plane, 8 * plane);
    // (Aᵀ M) A: the same combinations of each row's eight columns, for the pixels inside the output.
    for (let i = 0; i < rows; i++) {
      combineA6(outputRow, 0, 1, rowsOfA, i * 8, 1);
      const o = o00 + i * outWidth * k + ch;
      for (let j = 0; j < cols; j++) out[o + j * k] = reluIf(outputRow[j] + b, relu);
    }
  }
};

/**
 * Aᵀ of F(6x6, 3x3) applied to `m0 .. m7`, read from `from[fromAt + i * fromStep]`, written to
 * `to[at + i * step]` for i = 0 .. 5.
 */
const combineA6: Combine8 = (to, at, step, from, fromAt, fromStep) => {
  // m1 to m6 enter as the sums and differences of the pairs (m1, m2), (m3, m4) and (m5, m6).
  const at1 = fromAt + fromStep;
  const at3 = at1 + 2 * fromStep;
  const at5 = at3 + 2 * fromStep;
  const s12 = from[at1] + from[at1 + fromStep];
  const d12 = from[at1] - from[at1 + fromStep];
  const s34 = from[at3] + from[at3 + fromStep];
  const d34 = from[at3] - from[at3 + fromStep];
  const s56 = from[at5] + from[at5 + fromStep];
  const d56 = from[at5] - from[at5 + fromStep];
  to[at] = from[fromAt] + s12 + s34 + s56;
  to[at + step] = d12 + 2 * d34 + 0.5 * d56;
  to[at + 2 * step] = s12 + 4 * s34 + 0.25 * s56;
  to[at + 3 * step] = d12 + 8 * d34 + 0.125 * d56;
  to[at + 4 * step] = s12 + 16 * s34 + 0.0625 * s56;
  to[at + 5 * step] = d12 + 32 * d34 + 0.03125 * d56 + from[at5 + 2 * fromStep];
};

const F2: WinogradTile = {
  m: 2,
  alpha: 4,
  G: [
    [1, 0, 0],
    [1 / 2, 1 / 2, 1 / 2],
    [1 / 2, -1 / 2, 1 / 2],
    [0, 0, 1],
  ],
  transformTile: transformTile2,
  untransformTile: untransformTile2,
};

const F4: WinogradTile = {
  m: 4,
  alpha: 6,
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  transformTile: transformTile4,
  untransformTile: untransformTile4,
};

const F6: WinogradTile = {
  m: 6,
  alpha: 8,
  G: [
    [1, 0, 0],
    [-2 / 9, -2 / 9, -2 / 9],
    [-2 / 9, 2 / 9, -2 / 9],
    [1 / 90, 1 / 45, 2 / 45],
    [1 / 90, -1 / 45, 2 / 45],
    [32 / 45, 16 / 45, 8 / 45],
    [32 / 45, -16 / 45, 8 / 45],
    [0, 0, 1],
  ],
  transformTile: transformTile6,
  untransformTile: untransformTile6,
};

/**
 * Of `choices`, the tile with the fewest products for `g`'s output size, tiles partly outside the output
 * counted whole (the first of equals).
 */
function tileFor(g: Winograd3x3, choices: readonly WinogradTile[]): WinogradTile {
  const products = (tile: WinogradTile) =>
    Math.ceil(g.outHeight / tile.m) * Math.ceil(g.outWidth / tile.m) * tile.alpha * tile.alpha;
  return choices.reduce((best, tile) => (products(tile) < products(best) ? tile : best));
}

/** The forward's tiles. */
const FORWARD_TILES = [F2, F4, F6];

/** How the output is cut into tiles, and how many rows of tiles one block takes; sizes the scratch. */
function tiling(g: Winograd3x3, tile: WinogradTile) {
  const { batch, inChannels: c, outChannels: k, outHeight, outWidth } = g;
  const positions = tile.alpha * tile.alpha;
  const tilesAcross = Math.ceil(outWidth / tile.m);
  const tileRowsPerImage = Math.ceil(outHeight / tile.m);
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_FLOATS / (positions * (c + k) * tilesAcross)));
  const maxTiles = rowsPerBlock * tilesAcross;
  if (tileInput.length < positions * c) tileInput = new Float32Array(positions * c);
  // Room for the packed layout's last panel of four tiles.
  const transformedSize = positions * Math.ceil(maxTiles / PANEL) * PANEL * c;
  if (transformed.length < transformedSize) transformed = new Float32Array(transformedSize);
  if (products.length < positions * maxTiles * k) products = new Float32Array(positions * maxTiles * k);
  return { tilesAcross, tileRowsPerImage, tileRows: batch * tileRowsPerImage, rowsPerBlock };
}

/**
 * `Bᵀ d B` of the input under every tile of tile rows `r0 .. r1` (counted over the batch), laid out
 * `packed` or not (`tileLayout`).
 */
function transformInputs(
  x: Float32Array,
  g: Winograd3x3,
  r0: number,
  r1: number,
  tile: WinogradTile,
  packed: boolean,
): void {
  const { inHeight, inWidth, inChannels: c, padTop, padLeft } = g;
  const { m, alpha, transformTile } = tile;
  const { tilesAcross, tileRowsPerImage } = tiling(g, tile);
  const { plane, first, step } = tileLayout((r1 - r0) * tilesAcross, c, packed);
  for (let r = r0, t = 0; r < r1; r++) {
    const image = Math.floor(r / tileRowsPerImage);
    const y0 = (r - image * tileRowsPerImage) * m - padTop;
    const rowsInside = y0 >= 0 && y0 + alpha <= inHeight;
    for (let tx = 0; tx < tilesAcross; tx++, t++) {
      const x0 = tx * m - padLeft;
      if (rowsInside && x0 >= 0 && x0 + alpha <= inWidth) {
        transformTile(x, ((image * inHeight + y0) * inWidth + x0) * c, inWidth * c, c, first(t), plane, step);
      } else {
        gatherTile(x, g, alpha, image, y0, x0);
        transformTile(tileInput, 0, alpha * c, c, first(t), plane, step);
      }
    }
  }
}

/**
 * The correlation of NHWC `x` with a `[3, 3, in, out]` filter that `at(ky, kx, c, k)` reads (so a
 * flipped or transposed filter needs no copy), into NHWC `out` (every value written);
 * `epilogue` is added to each output value as it is stored.
 */
export function winogradConvolve(
  x: Float32Array,
  at: (ky: number, kx: number, c: number, k: number) => number,
  g: Winograd3x3,
  out: Float32Array,
  epilogue?: BiasRelu,
): void {
  const { inChannels: c, outChannels: k, outHeight, outWidth } = g;
  const tile = tileFor(g, FORWARD_TILES);
  const { m, alpha, untransformTile } = tile;
  const u = transformFilter(c, k, at, tile);
  const { tilesAcross, tileRowsPerImage, tileRows, rowsPerBlock } = tiling(g, tile);
  const bias = epilogue?.bias ?? new Float32Array(k);
  const relu = epilogue?.relu ?? false;
  for (let r0 = 0; r0 < tileRows; r0 += rowsPerBlock) {
    const r1 = Math.min(tileRows, r0 + rowsPerBlock);
    const tiles = (r1 - r0) * tilesAcross;
    transformInputs(x, g, r0, r1, tile, true);
    const { plane } = tileLayout(tiles, c, true);
    const uPlane = filterPlane(c, k);
    for (let e = 0; e < alpha * alpha; e++) {
      panelProduct(transformed, e * plane, u, e * uPlane, tiles, c, k, products, e * tiles * k, false);
    }
    for (let r = r0, t = 0; r < r1; r++) {
      const image = Math.floor(r / tileRowsPerImage);
      const oy = (r - image * tileRowsPerImage) * m;
      const rows = Math.min(m, outHeight - oy);
      for (let tx = 0; tx < tilesAcross; tx++, t++) {
        const o00 = ((image * outHeight + oy) * outWidth + tx * m) * k;
        untransformTile(t, tiles, g, out, o00, rows, Math.min(m, outWidth - tx * m), bias, relu);
      }
    }
  }
}

/**
 * F(3x3, 2x2)'s `G D Gᵀ` of the 2x2 block of dy of every tile of tile rows `r0 .. r1`, per output
 * channel, into the 16 `[tiles, out]` matrices, with the entries of row or column 3 negated once: this
 * filter gradient's input transform is the forward's with its last row negated (see `F2_GRADIENT`).
 */
function transformGradients2(dy: Float32Array, g: Winograd3x3, r0: number, r1: number): void {
  const { outHeight, outWidth, outChannels: k } = g;
  const { tilesAcross, tileRowsPerImage } = tiling(g, F2);
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
 * F(3x3, 4x4)'s `G D Gᵀ` of the 4x4 block of dy of every tile of tile rows `r0 .. r1` (0 outside dy),
 * per output channel, into the 36 `[tiles, out]` matrices. This G is F(4x4, 3x3)'s A (see
 * `F4_GRADIENT`): rows [1, 0, 0, 0], [1, 1, 1, 1], [1, -1, 1, -1], [1, 2, 4, 8], [1, -2, 4, -8],
 * [0, 0, 0, 1].
 */
function transformGradients4(dy: Float32Array, g: Winograd3x3, r0: number, r1: number): void {
  const { outHeight, outWidth, outChannels: k } = g;
  const { tilesAcross, tileRowsPerImage } = tiling(g, F4);
  const tiles = (r1 - r0) * tilesAcross;
  const plane = tiles * k;
  for (let r = r0, t = 0; r < r1; r++) {
    const image = Math.floor(r / tileRowsPerImage);
    const oy = (r - image * tileRowsPerImage) * 4;
    const rows = Math.min(4, outHeight - oy);
    for (let tx = 0; tx < tilesAcross; tx++, t++) {
      const ox = tx * 4;
      const cols = Math.min(4, outWidth - ox);
      const at00 = ((image * outHeight + oy) * outWidth + ox) * k;
      const whole = rows === 4 && cols === 4;
      for (let ch = 0, o = t * k; ch < k; ch++, o++) {
        // The block (0 outside dy) into `block`, G D into `columns` (6 rows of 4), then each row times Gᵀ.
        for (let i = 0, at = at00 + ch; i < 4; i++, at += outWidth * k) {
          for (let j = 0; j < 4; j++) block[i * 4 + j] = whole || (i < rows && j < cols) ? dy[at + j * k] : 0;
        }
        for (let j = 0; j < 4; j++)
          combineG(columns, j, 4, block[j], block[4 + j], block[8 + j], block[12 + j]);
        for (let i = 0; i < 6; i++) {
          const q = i * 4;
          combineG(
            products,
            o + i * 6 * plane,
            plane,
            columns[q],
            columns[q + 1],
            columns[q + 2],
            columns[q + 3],
          );
        }
      }
    }
  }
}

/** F(3x3, 4x4)'s G applied to `a, b, c, d`, written to `to[at + i * step]` for i = 0 .. 5. */
function combineG(to: Scratch, at: number, step: number, a: number, b: number, c: number, d: number): void {
  const even = a + c;
  const odd = b + d;
  const even4 = a + 4 * c;
  const odd4 = 2 * b + 8 * d;
  to[at] = a;
  to[at + step] = even + odd;
  to[at + 2 * step] = even - odd;
  to[at + 3 * step] = even4 + odd4;
  to[at + 4 * step] = even4 - odd4;
  to[at + 5 * step] = d;
}

/**
 * A filter gradient's minimal filtering F(3x3, m x m) over `tile`'s tiles: `transformGradients` writes
 * the dy blocks' `G D Gᵀ`, and `A` (alpha x 3) is the output transform, `dW = Aᵀ S A` for the sums S of
 * the products. F(3x3, m x m) is F(m x m, 3x3) with A and G swapped: both compute the same sums of
 * products `x[i + j] · w[j]`, read with the roles of i and j exchanged.
 */
interface GradientTile {
  tile: WinogradTile;
  transformGradients: typeof transformGradients2;
  A: readonly (readonly number[])[];
}

/**
 * F(3x3, 2x2): Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1], G = [1 0; ½ ½; ½ -½; 0 1] and
 * Aᵀ = [1 1 1 0; 0 1 -1 0; 0 1 1 1]. This Bᵀ is the forward's with its last row negated, so the
 * forward's input transform is reused and the sign moved onto dy's.
 */
const F2_GRADIENT: GradientTile = {
  tile: F2,
  transformGradients: transformGradients2,
  A: [
    [1, 0, 0],
    [1, 1, 1],
    [1, -1, 1],
    [0, 0, 1],
  ],
};

/** F(3x3, 4x4): F(4x4, 3x3)'s B, its A as G, and its G as A. */
const F4_GRADIENT: GradientTile = { tile: F4, transformGradients: transformGradients4, A: F4.G };

/**
 * The filter gradient of the correlation `g` describes, `dW[ky][kx][c][k] = Σ x[n, y + ky - padTop,
 * x + kx - padLeft, c] · dy[n, y, x, k]` over images and output pixels: `[3, 3, in, out]`. This is
 * F(3x3, m x m) over tiles of m = 2 or 4, whichever needs fewer products for the output's size: each m x m
 * block of dy and the input tile under it give a 3x3 contribution with alpha² products per channel
 * pair instead of 9m², `Aᵀ [(G D Gᵀ) ⊙ (Bᵀ X B)] A`. Summed over tiles, the alpha² positions are
 * alpha² products `V[e]ᵀ · D[e]`, `[in, tiles] · [tiles, out]`, accumulated over the blocks, and
 * `Aᵀ S A` runs once per channel pair at the end.
 */
export function winogradFilterGradient(x: Float32Array, dy: Float32Array, g: Winograd3x3): Float32Array {
  const { inChannels: c, outChannels: k } = g;
  const { tile, transformGradients, A } = tileFor(g, [F2, F4]) === F4 ? F4_GRADIENT : F2_GRADIENT;
  const { alpha } = tile;
  const { tilesAcross, tileRows, rowsPerBlock } = tiling(g, tile);
  const plane = c * k;
  const sums = new Float32Array(alpha * alpha * plane);
  for (let r0 = 0; r0 < tileRows; r0 += rowsPerBlock) {
    const r1 = Math.min(tileRows, r0 + rowsPerBlock);
    const tiles = (r1 - r0) * tilesAcross;
    transformInputs(x, g, r0, r1, tile, false);
    transformGradients(dy, g, r0, r1);
    for (let e = 0; e < alpha * alpha; e++) {
      // V[e]ᵀ: `[in, tiles]` read from the `[tiles, in]` rows.
      const inputsT: MatrixView = { values: transformed, offset: e * tiles * c, rowStride: 1, colStride: c };
      gemm(inputsT, rowMajor(products, e * tiles * k, k), sums, e * plane, c, tiles, k, false, r0 > 0);
    }
  }
  const dw = new Float32Array(9 * plane);
  // Aᵀ S A per channel pair: Aᵀ S (3 rows of alpha) into `rowsOfA`, then each row times A.
  for (let p = 0; p < plane; p++) {
    for (let ky = 0; ky < 3; ky++) {
      for (let j = 0; j < alpha; j++) {
        let v = 0;
        for (let i = 0; i < alpha; i++) v += A[i][ky] * sums[(i * alpha + j) * plane + p];
        rowsOfA[ky * alpha + j] = v;
      }
      for (let kx = 0; kx < 3; kx++) {
        let v = 0;
        for (let j = 0; j < alpha; j++) v += rowsOfA[ky * alpha + j] * A[j][kx];
        dw[(ky * 3 + kx) * plane + p] = v;
      }
    }
  }
  return dw;
}
