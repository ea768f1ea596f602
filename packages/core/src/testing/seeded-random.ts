/**
 * A seeded pseudo-random generator (mulberry32): uniform numbers in [0, 1), the same sequence on every
 * platform and backend, so that test data is fixed and a failure reproduces. Not for anything that needs
 * statistical quality beyond test data.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `size` values from `seededRandom(seed)`, spread uniformly over [`low`, `high`) (default [-1, 1)).
 */
export function seededValues(size: number, seed: number, low = -1, high = 1): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = low + (high - low) * random();
  return out;
}
