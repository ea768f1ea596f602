/**
 * Draws the page's loss and accuracy curves off the main thread: each chart's canvas is handed to this
 * worker (`transferControlToOffscreen`) and Chart.js renders into it here, as its docs describe for web
 * workers. Chart.js's redraw (layout, ticks, canvas calls) costs 10-20 ms of CPU per frame for the two
 * charts; on a busy machine the main thread's share of the CPU stretched each such frame past 50 ms, a
 * long task that delays input. The page now only posts points.
 */
import {
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  Tooltip,
} from 'chart.js';

import {
  type CurveChartMessage,
  type CurveChartReport,
  TRAIN_COLOR,
  VAL_COLOR,
} from './curve-chart-protocol.js';

Chart.register(Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip);

type Point = { x: number; y: number };

const charts = new Map<number, Chart<'line', Point[]>>();
const dirty = new Set<number>();
let frameQueued = false;

function config(
  title: string,
  yRange: { min: number; max: number } | null,
  dpr: number,
): ChartConfiguration<'line', Point[]> {
  return {
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
      // No DOM here: the page tells the size and forwards the pointer (`showTooltipAt`), so Chart.js
      // listens to no events itself.
      animation: false,
      responsive: false,
      devicePixelRatio: dpr,
      parsing: false,
      events: [],
      plugins: {
        title: { display: true, text: title },
        legend: { position: 'bottom' },
        tooltip: { mode: 'nearest', intersect: false, axis: 'x' },
      },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: 'epoch' } },
        y: { type: 'linear', ...(yRange ?? { beginAtZero: true }) },
      },
    },
  };
}

/**
 * Shows the tooltip of the point nearest the pointer along x (Chart.js's programmatic tooltip: the same
 * lookup its own mousemove handler does), or hides it when the pointer left (x null).
 */
function showTooltipAt(chart: Chart<'line', Point[]>, x: number | null, y: number | null): void {
  const active =
    x === null || y === null
      ? []
      : chart.getElementsAtEventForMode(
          // A ChartEvent without a native event: Chart.js takes x and y as the position on the canvas (its
          // typings ask for a DOM Event, which a worker never has).
          { type: 'mousemove', native: null, x, y } as unknown as Event,
          'nearest',
          { intersect: false, axis: 'x' },
          false,
        );
  chart.setActiveElements(active);
  chart.tooltip?.setActiveElements(active, { x: x ?? 0, y: y ?? 0 });
}

/** Redraws the charts that changed, once per frame however many points came in. */
function redrawSoon(id: number): void {
  dirty.add(id);
  if (frameQueued) return;
  frameQueued = true;
  const next =
    typeof requestAnimationFrame === 'function'
      ? requestAnimationFrame
      : (f: () => void) => setTimeout(f, 16);
  next(() => {
    frameQueued = false;
    for (const d of dirty) {
      const chart = charts.get(d)!;
      chart.update('none');
      const points = chart.data.datasets.reduce((n, s) => n + s.data.length, 0);
      const tip = chart.tooltip;
      const tooltip =
        tip && tip.getActiveElements().length > 0
          ? [...tip.title, ...tip.body.flatMap((b) => b.lines)].join('\n')
          : '';
      const report: CurveChartReport = { id: d, points, tooltip };
      postMessage(report);
    }
    dirty.clear();
  });
}

self.addEventListener('message', (event: MessageEvent<CurveChartMessage>) => {
  const m = event.data;
  if (m.kind === 'init') {
    const chart = new Chart(
      m.canvas as unknown as HTMLCanvasElement,
      config(m.title, m.yRange, m.dpr),
    ) as Chart<'line', Point[]>;
    chart.resize(m.width, m.height);
    charts.set(m.id, chart);
    return;
  }
  const chart = charts.get(m.id);
  if (!chart) return;
  const [training, validation] = chart.data.datasets;
  if (m.kind === 'training') {
    // A new epoch's first point starts a fresh segment: the running mean restarts each epoch.
    if (m.epochStart && training.data.length > 0) training.data.push({ x: m.x, y: Number.NaN });
    training.data.push({ x: m.x, y: m.y });
  } else if (m.kind === 'validation') validation.data.push({ x: m.x, y: m.y });
  else if (m.kind === 'clear') for (const d of chart.data.datasets) d.data = [];
  else if (m.kind === 'resize') chart.resize(m.width, m.height);
  else if (m.kind === 'pointer') showTooltipAt(chart, m.x, m.y);
  redrawSoon(m.id);
});
