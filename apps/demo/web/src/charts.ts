/**
 * The page's three charts, drawn with Chart.js: loss and accuracy while training (in a worker), and class
 * probabilities (here).
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Title, Tooltip } from 'chart.js';

import {
  type CurveChartMessage,
  type CurveChartReport,
  TRAIN_COLOR,
  VAL_COLOR,
} from './curve-chart-protocol.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Title, Tooltip);

let chartWorker: Worker | null = null;
let nextId = 1;
const canvases = new Map<number, HTMLCanvasElement>();

/** The one worker that draws every curve chart; it reports how many points each chart drew. */
function curveWorker(): Worker {
  if (!chartWorker) {
    chartWorker = new Worker(new URL('./curve-chart-worker.ts', import.meta.url), { type: 'module' });
    chartWorker.addEventListener('message', (e: MessageEvent<CurveChartReport>) => {
      // The browser test watches the curves grow and the tooltip follow the pointer.
      const canvas = canvases.get(e.data.id)!;
      canvas.dataset.points = String(e.data.points);
      canvas.dataset.tooltip = e.data.tooltip;
    });
  }
  return chartWorker;
}

/**
 * One metric's curves: the training value as it evolves within each epoch (Keras's running mean over the
 * epoch's batches), and the validation value at each epoch's end. The x axis counts epochs. Chart.js draws
 * it in a worker (curve-chart-worker.ts), so the page's main thread only posts points.
 */
export class CurveChart {
  private readonly id = nextId++;
  private readonly worker = curveWorker();

  constructor(canvas: HTMLCanvasElement, title: string, yRange?: { min: number; max: number }) {
    canvases.set(this.id, canvas);
    const offscreen = canvas.transferControlToOffscreen();
    const box = canvas.parentElement!.getBoundingClientRect();
    this.post(
      {
        kind: 'init',
        id: this.id,
        canvas: offscreen,
        title,
        yRange: yRange ?? null,
        width: box.width,
        height: box.height,
        dpr: devicePixelRatio,
      },
      [offscreen],
    );
    new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      this.post({ kind: 'resize', id: this.id, width, height });
    }).observe(canvas.parentElement!);
    // The canvas belongs to the worker now, but its pointer events still arrive here: forward them, so
    // the worker's chart shows tooltips.
    canvas.addEventListener('pointermove', (e) =>
      this.post({ kind: 'pointer', id: this.id, x: e.offsetX, y: e.offsetY }),
    );
    canvas.addEventListener('pointerleave', () =>
      this.post({ kind: 'pointer', id: this.id, x: null, y: null }),
    );
  }

  /**
   * Adds a training value at a fractional epoch. A new epoch's first point starts a fresh segment:
   * the running mean restarts each epoch, so joining it to the previous epoch's end would mislead.
   */
  addTraining(x: number, y: number, epochStart: boolean): void {
    this.post({ kind: 'training', id: this.id, x, y, epochStart });
  }

  addValidation(x: number, y: number): void {
    this.post({ kind: 'validation', id: this.id, x, y });
  }

  clear(): void {
    this.post({ kind: 'clear', id: this.id });
  }

  private post(message: CurveChartMessage, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }
}

/** The ten class probabilities of the drawn digit; the most likely class is highlighted. */
export class ProbabilityChart {
  private readonly chart: Chart<'bar', number[], string>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: {
        labels: Array.from({ length: 10 }, (_, i) => String(i)),
        datasets: [{ label: 'probability', data: new Array(10).fill(0), backgroundColor: [] }],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, title: { display: true, text: 'Class probabilities' } },
        scales: { y: { min: 0, max: 1 }, x: { title: { display: true, text: 'digit' } } },
      },
    });
  }

  show(probs: ArrayLike<number>): void {
    const values = Array.from(probs);
    const best = values.indexOf(Math.max(...values));
    const dataset = this.chart.data.datasets[0];
    dataset.data = values;
    dataset.backgroundColor = values.map((_, i) => (i === best ? VAL_COLOR : TRAIN_COLOR));
    this.chart.update('none');
  }

  clear(): void {
    this.show(new Array(10).fill(0));
  }
}
