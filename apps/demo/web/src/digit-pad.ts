/**
 * The drawing pad: white strokes on black, as MNIST's digits are. Reports the drawing as 28x28 MNIST
 * pixels (see mnist-pixels.ts) after each stroke, and shows that small image so the user sees what the
 * model sees.
 */
import { MNIST_SIDE, toMnistPixels } from './mnist-pixels.js';

export class DigitPad {
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private pending = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly preview: HTMLCanvasElement,
    /** Called with the 784 pixels (or null when the pad is blank) while and after drawing. */
    private readonly onChange: (pixels: Float32Array | null) => void,
  ) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('The drawing pad needs a 2D canvas context, which this browser refused.');
    this.ctx = ctx;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.drawing = true;
      this.last = this.point(e);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing || !this.last) return;
      const p = this.point(e);
      this.stroke(this.last, p);
      this.last = p;
      this.schedule();
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = null;
      this.schedule();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /** Pointer position in canvas pixels (the canvas may be shown scaled by CSS). */
  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) * this.canvas.width) / r.width,
      y: ((e.clientY - r.top) * this.canvas.height) / r.height,
    };
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    // About 2 MNIST pixels once a digit of the pad's height is scaled to MNIST's 20-pixel box.
    ctx.lineWidth = this.canvas.width / 13;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }

  /** Coalesces the many pointer events of a stroke into one update per animation frame. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.onChange(this.pixels());
    });
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.showPreview(null);
    this.onChange(null);
  }

  /** The drawing as MNIST pixels, or null when blank; also refreshes the 28x28 preview. */
  pixels(): Float32Array | null {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const gray = new Float32Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[i * 4] / 255;
    const pixels = toMnistPixels(gray, width, height);
    this.showPreview(pixels);
    return pixels;
  }

  private showPreview(pixels: Float32Array | null): void {
    const ctx = this.preview.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(MNIST_SIDE, MNIST_SIDE);
    for (let i = 0; i < MNIST_SIDE * MNIST_SIDE; i++) {
      const v = Math.round((pixels?.[i] ?? 0) * 255);
      image.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
  }
}
