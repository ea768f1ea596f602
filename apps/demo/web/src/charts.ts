/** The page's three charts, drawn with Chart.js: loss and accuracy while training, and class probabilities. */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  Tooltip,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  Tooltip,
);

const TRAIN_COLOR = '#2f6fde';
const VAL_COLOR = '#e0702b';

type Point = { x: number; y: number };

/**
 * One metric's curves: the training value as it evolves within each epoch (Keras's running mean over the
 * epoch's batches), and the validation value at each epoch's end. The x axis counts epochs.
 */
export class CurveChart {
  private readonly chart: Chart<'line', Point[]>;

  constructor(canvas: HTMLCanvasElement, title: string, yRange?: { min: number; max: number }) {
    this.chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'training',
            data: [],
            borderColor: TRAIN_COLOR,
            backgroundColor: TRAIN_COLOR,
            pointRadius: 0,
            borderWidth: 2,
          },
          {
            label: 'validation',
            data: [],
            borderColor: VAL_COLOR,
            backgroundColor: VAL_COLOR,
            pointRadius: 4,
            borderWidth: 2,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'epoch' } },
          y: { type: 'linear', ...(yRange ?? { beginAtZero: true }) },
        },
      },
    });
  }

  /**
   * Adds a training value at a fractional epoch. A new epoch's first point starts a fresh segment:
   * the running mean restarts each epoch, so joining it to the previous epoch's end would mislead.
   */
  addTraining(x: number, y: number, epochStart: boolean): void {
    const data = this.chart.data.datasets[0].data;
    if (epochStart && data.length > 0) data.push({ x, y: Number.NaN });
    data.push({ x, y });
  }

  addValidation(x: number, y: number): void {
    this.chart.data.datasets[1].data.push({ x, y });
  }

  /** Redraws (cheap: no animation); called at most about ten times a second while training. */
  update(): void {
    this.chart.update('none');
  }

  clear(): void {
    for (const d of this.chart.data.datasets) d.data = [];
    this.chart.update('none');
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
