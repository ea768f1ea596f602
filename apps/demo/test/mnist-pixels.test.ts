import { describe, expect, it } from 'vitest';

import { toMnistPixels } from '../web/src/mnist-pixels.js';

const W = 280;

/** A W x W black canvas with rectangles of ink: [x, y, width, height, intensity]. */
function canvas(...rects: [number, number, number, number, number][]): Float32Array {
  const gray = new Float32Array(W * W);
  for (const [x0, y0, w, h, v] of rects) {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) gray[y * W + x] = v;
  }
  return gray;
}

/** The 28x28 image expected: rectangles [col, row, width, height, value] on zeros. */
function mnist(...rects: [number, number, number, number, number][]): number[] {
  const out = new Array(784).fill(0);
  for (const [c0, r0, w, h, v] of rects) {
    for (let r = r0; r < r0 + h; r++) for (let c = c0; c < c0 + w; c++) out[r * 28 + c] = v;
  }
  return out;
}

describe('toMnistPixels', () => {
  it('returns null for a blank pad', () => {
    expect(toMnistPixels(new Float32Array(W * W), W, W)).toBeNull();
  });

  it('scales a square to the 20x20 box and centres it: a 4-pixel margin all round', () => {
    // 100x100 ink scales by 20/100 to 20x20; its centre of mass (10, 10) goes to (14, 14), so it starts at 4.
    const out = toMnistPixels(canvas([30, 150, 100, 100, 1]), W, W)!;
    expect(Array.from(out)).toEqual(mnist([4, 4, 20, 20, 1]));
  });

  it('keeps the aspect ratio: the longer side becomes 20 pixels', () => {
    // 40x100 scales by 0.2 to 8x20; centre (4, 10) goes to (14, 14): columns 10..17, rows 4..23.
    const out = toMnistPixels(canvas([200, 10, 40, 100, 1]), W, W)!;
    expect(Array.from(out)).toEqual(mnist([10, 4, 8, 20, 1]));
  });

  it('centres by mass, not by bounding box', () => {
    // Left half full ink, right half half ink: in the 20x20 box the mass is 200*1 + 200*0.5 = 300 and the
    // x moment is 20*(0.5+...+9.5) + 0.5*20*(10.5+...+19.5) = 1000 + 1500, so the centre is at x = 8.33;
    // shifting it to 14 rounds to 6 (the box starts at column 6), while y stays centred (row 4).
    const out = toMnistPixels(canvas([0, 0, 50, 100, 1], [50, 0, 50, 100, 0.5]), W, W)!;
    expect(Array.from(out)).toEqual(mnist([6, 4, 10, 20, 1], [16, 4, 10, 20, 0.5]));
  });

  it('averages the ink under each output pixel (anti-aliasing)', () => {
    // 100x100 with only the even source columns inked: output column t covers source columns 5t..5t+4, of
    // which 3 are even when t is even (0.6) and 2 when t is odd (0.4). The one extra pixel at (99, 99) adds
    // 1/25 to the bottom-right output pixel (odd column): 0.44. Outside the digit: 0.
    const gray = new Float32Array(W * W);
    for (let y = 0; y < 100; y++) for (let x = 0; x < 100; x += 2) gray[y * W + x] = 1;
    gray[99 * W + 99] = 1; // makes the bounding box 100x100
    const out = toMnistPixels(gray, W, W)!;
    const values = new Set(Array.from(out).map((v) => Math.round(v * 100) / 100));
    expect([...values].sort()).toEqual([0, 0.4, 0.44, 0.6]);
  });

  it('rejects an array of the wrong length', () => {
    expect(() => toMnistPixels(new Float32Array(10), 4, 4)).toThrow(
      'toMnistPixels expects width * height = 16 intensities. Received: 10',
    );
  });
});
