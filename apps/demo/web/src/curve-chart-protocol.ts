/** What the page tells the curve-chart worker (curve-chart-worker.ts), and the colours both sides use. */

export const TRAIN_COLOR = '#2f6fde';
export const VAL_COLOR = '#e0702b';

export type CurveChartMessage =
  | {
      kind: 'init';
      id: number;
      canvas: OffscreenCanvas;
      title: string;
      yRange: { min: number; max: number } | null;
      width: number;
      height: number;
      dpr: number;
    }
  | { kind: 'training'; id: number; x: number; y: number; epochStart: boolean }
  | { kind: 'validation'; id: number; x: number; y: number }
  | { kind: 'clear'; id: number }
  | { kind: 'resize'; id: number; width: number; height: number }
  /** The pointer over the chart, in CSS pixels from its top-left corner; null when it left. */
  | { kind: 'pointer'; id: number; x: number; y: number }
  | { kind: 'pointer'; id: number; x: null; y: null };

/** What the worker tells the page: points drawn, and the tooltip's lines while one shows ('' when none). */
export type CurveChartReport = { id: number; points: number; tooltip: string };
