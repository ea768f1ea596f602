/**
 * The vector loop of wasm's `StrataAdamUpdate`: a tiny WebAssembly module, written out below as bytes,
 * that imports tfjs-backend-wasm's memory and runs Adam's update four floats at a time. A JavaScript
 * loop computes in float64 one element at a time and runs at about half the speed of tfjs-wasm's
 * XNNPACK kernels on a large weight (3.3 ms against 1.7 ms for the composite's dozen passes over the
 * MLP's 784x512 weight); f32x4 arithmetic (add, sub, mul, div, sqrt: all correctly rounded in
 * WebAssembly) gives the composite's float32 results in one pass.
 */

/** Updates the first `4 * floor(n / 4)` elements; the arguments are byte offsets into the heap. */
export type AdamSimdLoop = (
  w: number,
  g: number,
  m: number,
  v: number,
  outW: number,
  outM: number,
  outV: number,
  n: number,
  keepM: number,
  keepV: number,
  alpha: number,
  epsilon: number,
) => void;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Instructions: local.get/set, i32 arithmetic, control flow, and the SIMD ones (prefix 0xfd).
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const i32Const = (value: number) => [0x41, value & 0x7f]; // small values only (-64..63)
const I32_ADD = 0x6a;
const I32_AND = 0x71;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const load = [0xfd, 0x00, 0x02, 0x00]; // v128.load, align 4 bytes, offset 0
const store = [0xfd, 0x0b, 0x02, 0x00]; // v128.store
const splat = [0xfd, 0x13]; // f32x4.splat
const sqrt = [0xfd, 0xe3, 0x01];
const add = [0xfd, 0xe4, 0x01];
const sub = [0xfd, 0xe5, 0x01];
const mul = [0xfd, 0xe6, 0x01];
const div = [0xfd, 0xe7, 0x01];

// Locals: the 12 parameters (0-6 byte offsets w, g, m, v, outW, outM, outV; 7 n; 8-11 the four
// scalars), then i32 `i` (bytes done) and `end`, then v128 splats of the scalars and the loop's values.
const [W, G, M, V, OUT_W, OUT_M, OUT_V, N, KEEP_M, KEEP_V, ALPHA, EPS] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
];
const [I, END, V_KEEP_M, V_KEEP_V, V_ALPHA, V_EPS, M_NEW, V_NEW, GRAD, TMP] = [
  12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
];
const at = (base: number) => [...get(base), ...get(I), I32_ADD];

// biome-ignore format: one line per step of the update
const body = [
  2, 2, I32, 8, V128, // two groups of locals: 2 i32, 8 v128
  ...get(N), ...i32Const(-4), I32_AND, ...i32Const(2), I32_SHL, ...set(END),
  ...get(KEEP_M), ...splat, ...set(V_KEEP_M),
  ...get(KEEP_V), ...splat, ...set(V_KEEP_V),
  ...get(ALPHA), ...splat, ...set(V_ALPHA),
  ...get(EPS), ...splat, ...set(V_EPS),
  0x02, 0x40, // block
  0x03, 0x40, // loop
  ...get(I), ...get(END), I32_GE_U, 0x0d, 1, // br_if out of the block
  ...at(G), ...load, ...set(GRAD),
  // m' = m + (g - m) * (1 - beta1)
  ...at(M), ...load, ...set(TMP),
  ...get(TMP), ...get(GRAD), ...get(TMP), ...sub, ...get(V_KEEP_M), ...mul, ...add, ...set(M_NEW),
  ...at(OUT_M), ...get(M_NEW), ...store,
  // v' = v + (g * g - v) * (1 - beta2)
  ...at(V), ...load, ...set(TMP),
  ...get(TMP), ...get(GRAD), ...get(GRAD), ...mul, ...get(TMP), ...sub, ...get(V_KEEP_V), ...mul, ...add,
  ...set(V_NEW),
  ...at(OUT_V), ...get(V_NEW), ...store,
  // w' = w - (m' * alpha) / (sqrt(v') + epsilon)
  ...at(OUT_W),
  ...at(W), ...load,
  ...get(M_NEW), ...get(V_ALPHA), ...mul,
  ...get(V_NEW), ...sqrt, ...get(V_EPS), ...add,
  ...div, ...sub, ...store,
  ...get(I), ...i32Const(16), I32_ADD, ...set(I),
  0x0c, 0, // br to the loop's start
  0x0b, // end loop
  0x0b, // end block
  0x0b, // end function
];

/** `contents` prefixed by its length (unsigned LEB128), as sections and function bodies are. */
function sized(contents: number[]): number[] {
  const size: number[] = [];
  let n = contents.length;
  do {
    size.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return [...size, ...contents];
}

const section = (id: number, contents: number[]) => [id, ...sized(contents)];
const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

/**
 * The module's bytes, importing a plain memory or a shared one (tfjs-wasm's threaded build). A shared
 * memory's import must declare a maximum at least the memory's own; 65536 pages (4 GiB) is wasm32's limit,
 * so it admits any.
 */
const moduleBytes = (shared: boolean) =>
  new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 12, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, 0]), // (i32 x8, f32 x4) -> ()
    ...section(2, [
      1,
      ...name('env'),
      ...name('memory'),
      0x02,
      ...(shared ? [0x03, 0x00, 0x80, 0x80, 0x04] : [0x00, 0x00]), // shared: min 0, max 65536 pages; else min 0
    ]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('adam'), 0x00, 0]),
    ...section(10, [1, ...sized(body)]),
  ]);

/** Per kind of memory (plain, shared): the compiled module, or null where the engine has no SIMD. */
const compiled = new Map<boolean, WebAssembly.Module | null>();
const loops = new WeakMap<WebAssembly.Memory, AdamSimdLoop>();

/** The vector loop bound to `memory`, or null where it cannot run (no WebAssembly SIMD or threads). */
export function adamSimdLoop(memory: WebAssembly.Memory | undefined): AdamSimdLoop | null {
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const cached = loops.get(memory);
  if (cached) return cached;
  const shared = !(memory.buffer instanceof ArrayBuffer);
  if (!compiled.has(shared)) {
    try {
      compiled.set(shared, new WebAssembly.Module(moduleBytes(shared)));
    } catch {
      compiled.set(shared, null); // no SIMD (or no threads) in this engine
    }
  }
  const module = compiled.get(shared);
  if (module == null) return null;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const loop = instance.exports.adam as AdamSimdLoop;
  loops.set(memory, loop);
  return loop;
}
