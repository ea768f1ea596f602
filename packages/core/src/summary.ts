import { formatShape } from './errors.js';
import { InputLayer } from './input-layer.js';
import type { Layer } from './layer.js';

/**
 * What a summary reads from a model (`Model` and `Sequential` have all of it). Stated here rather than
 * imported, so the model module can use this one without an import cycle.
 */
export interface SummaryModel {
  readonly name: string;
  readonly layers: Layer[];
  readonly inputs: readonly unknown[];
  readonly outputs: readonly unknown[];
  readonly trainableWeights: readonly { size: number }[];
  readonly nonTrainableWeights: readonly { size: number }[];
  readonly optimizer: { readonly built: boolean; readonly variables: readonly { size: number }[] } | null;
  /** False for a subclassed model (no graph of layer calls). */
  readonly isFunctional?: boolean;
  getClassName(): string;
}

/** Options of `printSummary` and `model.summary()`: line length, column positions and where the lines go. */
export interface SummaryOptions {
  lineLength?: number;
  positions?: number[];
  printFn?: (line: string) => void;
}

/** Python's round(): halves go to the even neighbour (rich's table layout depends on it). */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** rich's `ratio_reduce`, which Keras's summary table goes through to fit its width. */
function ratioReduce(total: number, ratios: number[], maximums: number[], values: number[]): number[] {
  let totalRatio = ratios.reduce((a, b) => a + b, 0);
  let remaining = total;
  return values.map((value, i) => {
    if (!ratios[i] || totalRatio <= 0) return value;
    const distributed = Math.min(maximums[i], pyRound((ratios[i] * remaining) / totalRatio));
    remaining -= distributed;
    totalRatio -= ratios[i];
    return value - distributed;
  });
}

/** Keras's `readable_memory_size`. */
export function readableMemorySize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  for (const unit of units) {
    if (size / 1024 < 1) return `${size.toFixed(2)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(2)} PB`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    let w = word;
    while (w.length > width) {
      if (current) {
        lines.push(current);
        current = '';
      }
      lines.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!current) current = w;
    else if (current.length + 1 + w.length <= width) current += ` ${w}`;
    else {
      lines.push(current);
      current = w;
    }
  }
  lines.push(current);
  return lines;
}

function outputShapeOf(layer: Layer): string {
  const nodes = layer.inboundNodes;
  if (layer instanceof InputLayer) return formatShape(layer.batchShape);
  if (nodes.length === 0) {
    // A layer called only on concrete tensors (in a subclassed model): Keras computes the shape from the build
    // shape.
    if (!layer.built || layer.buildInputShape == null) return '?';
    try {
      const shape = layer.computeOutputShape(layer.buildInputShape);
      return Array.isArray(shape[0])
        ? `[${(shape as (number | null)[][]).map((sh) => formatShape(sh)).join(', ')}]`
        : formatShape(shape as (number | null)[]);
    } catch {
      return '?';
    }
  }
  const outs = nodes[nodes.length - 1].outputTensors;
  return outs.length === 1
    ? formatShape(outs[0].shape)
    : `[${outs.map((t) => formatShape(t.shape)).join(', ')}]`;
}

function isSequentialLike(model: SummaryModel, layers: Layer[]): boolean {
  // Keras lays out Sequential and subclassed models (no graph) in three columns.
  if (model.getClassName() === 'Sequential' || model.isFunctional === false) return true;
  const nodes = layers.flatMap((l) => l.inboundNodes.filter((n) => !n.isInput));
  const seen = new Set<Layer>();
  for (const n of nodes) {
    if (n.inboundTensors.length > 1 || seen.has(n.layer)) return false;
    seen.add(n.layer);
  }
  return model.inputs.length === 1 && model.outputs.length === 1;
}

/** Prints a model summary laid out as Keras 3 prints it (a rich table with heavy head). */
export function printSummary(model: SummaryModel, options: SummaryOptions = {}): void {
  const print = options.printFn ?? console.log;
  const allLayers = model.layers;
  const sequentialLike = isSequentialLike(model, allLayers);
  const layers =
    sequentialLike && model.getClassName() === 'Sequential'
      ? allLayers.filter((l) => !(l instanceof InputLayer))
      : allLayers;
  const header = sequentialLike
    ? ['Layer (type)', 'Output Shape', 'Param #']
    : ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const align = sequentialLike ? ['left', 'left', 'right'] : ['left', 'left', 'right', 'left'];
  const lineLength = options.lineLength ?? (sequentialLike ? 88 : 108);
  const positions = options.positions ?? (sequentialLike ? [0.45, 0.8, 1.0] : [0.3, 0.56, 0.74, 1.0]);

  const requested: number[] = [];
  let current = 0;
  for (const p of positions) {
    const w = Math.floor(p * lineLength) - current;
    requested.push(w);
    current += w;
  }
  let widths = requested.map((w) => w + 2);
  const maxWidth = lineLength - (header.length + 1);
  const total = widths.reduce((a, b) => a + b, 0);
  if (total > maxWidth)
    widths = ratioReduce(
      total - maxWidth,
      widths.map(() => 1),
      widths,
      widths,
    );

  const cell = (text: string, i: number): string[] =>
    wrap(text, widths[i] - 2).map(
      (line) => ` ${align[i] === 'right' ? line.padStart(widths[i] - 2) : line.padEnd(widths[i] - 2)} `,
    );
  const row = (fields: string[], v: string): string[] => {
    const cells = fields.map(cell);
    const height = Math.max(...cells.map((c) => c.length));
    const out: string[] = [];
    for (let r = 0; r < height; r++)
      out.push(v + cells.map((c, i) => c[r] ?? ' '.repeat(widths[i])).join(v) + v);
    return out;
  };
  const rule = (left: string, mid: string, right: string, fill: string) =>
    left + widths.map((w) => fill.repeat(w)).join(mid) + right;

  const lines: string[] = [
    `Model: "${model.name}"`,
    rule('┏', '┳', '┓', '━'),
    ...row(header, '┃'),
    rule('┡', '╇', '┩', '━'),
  ];
  layers.forEach((layer, i) => {
    const params =
      layer.built || layer instanceof InputLayer
        ? layer.countParams().toLocaleString('en-US')
        : '0 (unbuilt)';
    const fields = [`${layer.name} (${layer.getClassName()})`, outputShapeOf(layer), params];
    if (!sequentialLike) {
      // Keyword-argument tensors (an attention mask, initial states) are connections too, as Keras lists them.
      const connections = layer.inboundNodes
        .filter((n) => !n.isInput)
        .flatMap((n) =>
          n.inboundTensors.map((t) => `${t.sourceLayer.name}[${t.nodeIndex}][${t.tensorIndex}]`),
        );
      fields.push(connections.length ? connections.join(', ') : '-');
    }
    lines.push(...row(fields, '│'));
    if (i < layers.length - 1) lines.push(rule('├', '┼', '┤', '─'));
  });
  lines.push(rule('└', '┴', '┘', '─'));
  const trainable = model.trainableWeights.reduce((n, w) => n + w.size, 0);
  const nonTrainable = model.nonTrainableWeights.reduce((n, w) => n + w.size, 0);
  const optimizerCount = model.optimizer?.built
    ? model.optimizer.variables.reduce((n, v) => n + v.size, 0)
    : 0;
  const fmt = (n: number) => `${n.toLocaleString('en-US')} (${readableMemorySize(n * 4)})`;
  lines.push(` Total params: ${fmt(trainable + nonTrainable + optimizerCount)}`);
  lines.push(` Trainable params: ${fmt(trainable)}`);
  lines.push(` Non-trainable params: ${fmt(nonTrainable)}`);
  if (optimizerCount) lines.push(` Optimizer params: ${fmt(optimizerCount)}`);
  for (const l of lines) print(l);
}
