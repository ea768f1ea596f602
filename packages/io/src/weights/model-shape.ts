import { type Layer, NotImplementedError, type Optimizer, toSnakeCase, type Variable } from '@strata/core';

/**
 * The parts of core's Model that saving and loading use. Described structurally so that io works with
 * any object that behaves like a Keras model (core's Functional and Sequential, or a user's subclass).
 */
export interface ModelLike extends Layer {
  readonly layers: Layer[];
  optimizer?: Optimizer | null;
}

/** True for a model: a layer that holds a list of layers. */
export function isModelLike(layer: unknown): layer is ModelLike {
  return typeof layer === 'object' && layer !== null && Array.isArray((layer as { layers?: unknown }).layers);
}

/** Recurrent layers whose weights Keras keeps on their cell: `layers/lstm/cell/vars/…`. */
const CELL_LAYERS = new Set(['LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']);

/**
 * How one object appears in Keras 3's weights file: its own variables (`vars/0`, `vars/1`, …) and its
 * child objects by attribute name (a list becomes a container whose members get unique snake_case names).
 */
export interface SavedNode {
  variables: Variable[];
  children: [attr: string, child: Layer | Layer[]][];
  /** Whether `variables` actually belong to a `cell` child in Keras's layout. */
  onCell: boolean;
}

export function savedNode(layer: Layer): SavedNode {
  const children: [string, Layer | Layer[]][] = [];
  if (layer.kerasSaveChildren) {
    for (const [k, v] of Object.entries(layer.kerasSaveChildren())) children.push([k, v]);
  } else if (isModelLike(layer)) {
    children.push(['layers', layer.layers]);
  } else {
    const cell = (layer as { cell?: unknown }).cell;
    if (cell && typeof cell === 'object' && 'ownVariables' in cell) children.push(['cell', cell as Layer]);
    else if (layer.subLayers.length > 0) {
      throw new NotImplementedError(
        `Layer "${layer.name}" (${layer.getClassName()}) holds sub-layers but does not say under which attribute ` +
          'names Keras saves them. Give its class a kerasSaveChildren() method returning {attribute: layer}.',
      );
    }
  }
  // Keras walks attributes in sorted order; paths do not depend on it, but the written file then matches.
  children.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const onCell =
    children.length === 0 && CELL_LAYERS.has(layer.getClassName()) && layer.ownVariables.length > 0;
  return { variables: layer.ownVariables, children, onCell };
}

/**
 * Visits an object and everything Keras saves under it, with its path in the weights file and in the
 * archive's assets ('' for the model, then `layers/dense`, `layers/text_vectorization/_lookup_layer`, …).
 */
export function walkSaved(layer: Layer, path: string, visit: (layer: Layer, path: string) => void): void {
  visit(layer, path);
  const node = savedNode(layer);
  if (node.onCell) return;
  const at = (p: string) => (path ? `${path}/${p}` : p);
  for (const [attr, child] of node.children) {
    if (Array.isArray(child)) {
      for (const [name, member] of containerNames(child)) walkSaved(member, at(`${attr}/${name}`), visit);
    } else walkSaved(child, at(attr), visit);
  }
}

/** Keras's names for the members of a tracked list: class names in snake_case, numbered on repeats. */
export function containerNames(layers: Layer[]): [string, Layer][] {
  const used = new Map<string, number>();
  return layers.map((layer) => {
    const base = toSnakeCase(layer.getClassName());
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return [n === undefined ? base : `${base}_${n + 1}`, layer];
  });
}
