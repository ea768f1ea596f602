/**
 * Turns a drawing into the 28x28 image a model trained on MNIST expects. MNIST's digits were
 * size-normalised to fit a 20x20 box (keeping their aspect ratio, with anti-aliasing), then placed in
 * the 28x28 frame so that their centre of mass sits at the centre; a raw downscale of the whole canvas
 * would give digits of the wrong size in the wrong place, and the model would misread them.
 */

export const MNIST_SIDE = 28;
/** The box MNIST's digits were scaled to fit. */
const DIGIT_BOX = 20;
/** Ink below this intensity is treated as background when finding the digit's bounding box. */
const INK_THRESHOLD = 0.05;

/**
 * `gray` holds `width * height` intensities in [0, 1], row by row (white ink = 1 on black = 0, as in
 * MNIST). Returns 784 intensities in [0, 1], or null when nothing is drawn.
 */
export function toMnistPixels(gray: ArrayLike<number>, width: number, height: number): Float32Array | null {
  if (gray.length !== width * height) {
    throw new Error(
      `toMnistPixels expects width * height = ${width * height} intensities. Received: ${gray.length}`,
    );
  }
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (gray[y * width + x] > INK_THRESHOLD) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  // The longer side becomes 20 pixels; a digit smaller than that is not enlarged past 20 either way.
  const scale = DIGIT_BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));

  // Area-average the bounding box down to tw x th: each target pixel is the mean of the source pixels
  // under it, sampled on a grid fine enough to see every source pixel.
  const box = new Float32Array(tw * th);
  const step = 1 / scale;
  const samples = Math.max(1, Math.ceil(step));
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      let sum = 0;
      for (let sy = 0; sy < samples; sy++) {
        const y = Math.min(y1, Math.floor(y0 + (ty + (sy + 0.5) / samples) * (bh / th)));
        for (let sx = 0; sx < samples; sx++) {
          const x = Math.min(x1, Math.floor(x0 + (tx + (sx + 0.5) / samples) * (bw / tw)));
          sum += gray[y * width + x];
        }
      }
      box[ty * tw + tx] = sum / (samples * samples);
    }
  }

  // Centre of mass of the scaled digit, then the integer shift that puts it at the frame's centre,
  // limited so that no ink leaves the frame.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = box[y * tw + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const cx = mass > 0 ? mx / mass : tw / 2;
  const cy = mass > 0 ? my / mass : th / 2;
  const left = clamp(Math.round(MNIST_SIDE / 2 - cx), 0, MNIST_SIDE - tw);
  const top = clamp(Math.round(MNIST_SIDE / 2 - cy), 0, MNIST_SIDE - th);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(top + y) * MNIST_SIDE + left + x] = Math.min(1, box[y * tw + x]);
  }
  return out;
}
