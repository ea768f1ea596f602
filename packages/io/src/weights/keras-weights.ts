import { type KerasStateArray, type Layer, type Optimizer, ValueError, type Variable } from '@strata/core';

import { type H5Dataset, type H5Group, newGroup } from '../hdf5/h5-tree.js';
import { containerNames, type ModelLike, savedNode } from './model-shape.js';
import { checkedValues, type PendingAssignment, valuesDataset, variableDataset } from './tensor-values.js';

export { containerNames };

/**
 * Keras 3's weights layout (`model.weights.h5` inside a .keras file, and `.weights.h5` files):
 * `vars/<i>` for an object's own variables, `layers/<name>/…` for the layers of a model, where `<name>` is
 * the layer's class in snake_case made unique in `model.layers` order (`dense`, `dense_1`, …), not the
 * layer's configured name. The optimizer's state sits under `optimizer/vars`.
 */
export function buildKerasWeightsTree(
  model: ModelLike,
  options: { includeOptimizer?: boolean } = {},
): H5Group {
  const root = newGroup();
  writeObject(model, root);
  if (options.includeOptimizer && model.optimizer) {
    const opt = newGroup();
    opt.children.set('vars', optimizerVarsGroup(model.optimizer));
    root.children.set('optimizer', opt);
  }
  return root;
}

function varsGroup(name: string, variables: Variable[]): H5Group {
  const g = newGroup({ name });
  variables.forEach((v, i) => {
    g.children.set(String(i), variableDataset(v));
  });
  return g;
}

function writeObject(layer: Layer, group: H5Group): void {
  const node = savedNode(layer);
  if (node.onCell) {
    group.children.set('vars', newGroup({ name: layer.name }));
    const cell = newGroup();
    cell.children.set('vars', varsGroup(`${layer.name}_cell`, node.variables));
    group.children.set('cell', cell);
    return;
  }
  const vars = varsGroup(layer.name, node.variables);
  // Keras's save_own_variables: named arrays beside the numbered variables (a lookup layer's idf_weights).
  for (const [key, arr] of Object.entries(layer.kerasSaveState?.() ?? {}))
    vars.children.set(key, valuesDataset(arr.values, arr.shape, 'float32'));
  group.children.set('vars', vars);
  for (const [attr, child] of node.children) {
    const g = newGroup();
    group.children.set(attr, g);
    if (Array.isArray(child)) {
      for (const [name, member] of containerNames(child)) {
        const mg = newGroup();
        g.children.set(name, mg);
        writeObject(member, mg);
      }
    } else writeObject(child, g);
  }
}

/** The optimizer's variables in Keras order: iteration, learning_rate (for a constant rate), then slots. */
function optimizerSaveList(opt: Optimizer): { variables: Variable[]; syntheticLearningRate: boolean } {
  const vars = opt.variables;
  const hasLr = vars.some((v) => v.name === 'learning_rate' || v.path.endsWith('/learning_rate'));
  const constantLr = typeof (opt as unknown as { _learningRate?: unknown })._learningRate === 'number';
  return { variables: vars, syntheticLearningRate: !hasLr && constantLr };
}

function optimizerVarsGroup(opt: Optimizer): H5Group {
  const { variables, syntheticLearningRate } = optimizerSaveList(opt);
  const g = newGroup({ name: opt.name });
  let i = 0;
  variables.forEach((v, k) => {
    g.children.set(String(i++), variableDataset(v));
    if (k === 0 && syntheticLearningRate)
      g.children.set(String(i++), valuesDataset([opt.learningRate], [], 'float32'));
  });
  return g;
}

/** What a load will assign: layer weights, optimizer slots, and a learning rate to restore. */
export interface PendingLoad {
  assignments: PendingAssignment[];
  learningRate?: { optimizer: Optimizer; value: number };
  /** Named state for layers that keep it outside their variables, applied after the assignments. */
  states?: { layer: Layer; state: Record<string, KerasStateArray> }[];
}

/**
 * Reads and checks every weight of `model` from a Keras 3 weights tree without assigning anything. A
 * missing group, a wrong count or a wrong shape fails naming the layer and the path in the file.
 */
export function planKerasWeightsLoad(
  model: ModelLike,
  root: H5Group,
  options: { optimizer?: boolean } = {},
): PendingLoad {
  const assignments: PendingAssignment[] = [];
  const states: NonNullable<PendingLoad['states']> = [];
  readObject(model, root, '', { assignments, states }, true);
  const out: PendingLoad = { assignments, states };
  if (options.optimizer && model.optimizer) {
    const g = root.children.get('optimizer');
    const vars = g?.kind === 'group' ? g.children.get('vars') : undefined;
    if (vars?.kind === 'group') Object.assign(out, planOptimizerLoad(model.optimizer, vars, assignments));
  }
  return out;
}

function datasetsOf(
  group: H5Group | undefined,
  path: string,
  owner: string,
  named?: Map<string, H5Dataset>,
): H5Dataset[] {
  if (!group) return [];
  const out: H5Dataset[] = [];
  for (let i = 0; ; i++) {
    const d = group.children.get(String(i));
    if (!d) break;
    if (d.kind !== 'dataset')
      throw new ValueError(`${owner}: '${path}/${i}' in the weights file is a group, not a weight.`);
    out.push(d);
  }
  let extra = [...group.children.keys()].filter((k) => !/^\d+$/.test(k) || Number(k) >= out.length);
  if (named) {
    for (const k of extra) {
      const d = group.children.get(k);
      if (!/^\d+$/.test(k) && d?.kind === 'dataset') named.set(k, d);
    }
    extra = extra.filter((k) => !named.has(k));
  }
  if (extra.length)
    throw new ValueError(
      `${owner}: '${path}' in the weights file has unexpected entries: ${extra.join(', ')}.`,
    );
  return out;
}

function childGroup(group: H5Group, name: string): H5Group | undefined {
  const c = group.children.get(name);
  return c?.kind === 'group' ? c : undefined;
}

interface LoadTargets {
  assignments: PendingAssignment[];
  states: NonNullable<PendingLoad['states']>;
}

function readVars(
  layer: Layer,
  variables: Variable[],
  group: H5Group | undefined,
  path: string,
  owner: string,
  out: LoadTargets,
): void {
  const takesState = layer.kerasLoadState != null;
  const named = takesState ? new Map<string, H5Dataset>() : undefined;
  const ds = datasetsOf(group, path, owner, named);
  if (ds.length !== variables.length) {
    throw new ValueError(
      `${owner} expects ${variables.length} weights (${variables.map((v) => v.name).join(', ') || 'none'}), ` +
        `but the file has ${ds.length} at '${path}'.`,
    );
  }
  variables.forEach((v, i) => {
    out.assignments.push(checkedValues(ds[i], v, `'${path}/${i}'`, owner));
  });
  if (named && named.size > 0) {
    const state: Record<string, KerasStateArray> = {};
    for (const [key, d] of named) {
      if (!d.data) throw new ValueError(`${owner}: '${path}/${key}' is not numeric data (dtype ${d.dtype}).`);
      state[key] = { values: Float32Array.from(d.data as ArrayLike<number>, Number), shape: d.shape.slice() };
    }
    out.states.push({ layer, state });
  }
}

function readObject(layer: Layer, group: H5Group, path: string, out: LoadTargets, isRoot = false): void {
  const owner = isRoot ? `Model "${layer.name}"` : `Layer "${layer.name}" (${layer.getClassName()})`;
  const node = savedNode(layer);
  const at = (p: string) => (path ? `${path}/${p}` : p);
  if (node.onCell) {
    const cell = childGroup(group, 'cell');
    // Keras nests recurrent weights under `cell`; older files may keep them on the layer itself.
    const cellVars = cell ? childGroup(cell, 'vars') : undefined;
    if (cellVars && cellVars.children.size > 0)
      readVars(layer, node.variables, cellVars, at('cell/vars'), owner, out);
    else readVars(layer, node.variables, childGroup(group, 'vars'), at('vars'), owner, out);
    return;
  }
  readVars(layer, node.variables, childGroup(group, 'vars'), at('vars'), owner, out);
  for (const [attr, child] of node.children) {
    const g = childGroup(group, attr);
    if (Array.isArray(child)) {
      for (const [name, member] of containerNames(child)) {
        const mg = g ? childGroup(g, name) : undefined;
        if (!mg) {
          if (holdsNothing(member)) continue;
          const present = g ? [...g.children.keys()].join(', ') : '(none)';
          throw new ValueError(
            `The weights file has no entry '${at(`${attr}/${name}`)}' for layer "${member.name}" (${member.getClassName()}). ` +
              `Entries under '${at(attr)}': ${present}. The file was saved from a model with different layers.`,
          );
        }
        readObject(member, mg, at(`${attr}/${name}`), out);
      }
    } else {
      // Files written before a stateless child was saved (a TextVectorization's `_lookup_layer`) lack it.
      if (!g && holdsNothing(child)) continue;
      if (!g)
        throw new ValueError(
          `The weights file has no entry '${at(attr)}' for "${child.name}" (${child.getClassName()}).`,
        );
      readObject(child, g, at(attr), out);
    }
  }
}

/** A layer with no variables and no saved children: a missing entry for it loses nothing. */
function holdsNothing(layer: Layer): boolean {
  return layer.ownVariables.length === 0 && savedNode(layer).children.length === 0;
}

function planOptimizerLoad(
  opt: Optimizer,
  group: H5Group,
  out: PendingAssignment[],
): { learningRate?: { optimizer: Optimizer; value: number } } {
  const { variables, syntheticLearningRate } = optimizerSaveList(opt);
  const ds = datasetsOf(group, 'optimizer/vars', `Optimizer "${opt.name}"`);
  const expected = variables.length + (syntheticLearningRate ? 1 : 0);
  if (ds.length !== expected) {
    throw new ValueError(
      `Optimizer "${opt.name}" has ${expected} variables, but the file holds ${ds.length} under 'optimizer/vars'. ` +
        'The optimizer state was saved for a different optimizer or model.',
    );
  }
  let lr: number | undefined;
  let i = 0;
  variables.forEach((v, k) => {
    out.push(checkedValues(ds[i], v, `'optimizer/vars/${i}'`, `Optimizer "${opt.name}"`));
    i++;
    if (k === 0 && syntheticLearningRate) {
      const d = ds[i++];
      if (!d.data || d.shape.length !== 0)
        throw new ValueError("'optimizer/vars/1' should be the scalar learning rate.");
      lr = Number(d.data[0]);
    }
  });
  return lr === undefined ? {} : { learningRate: { optimizer: opt, value: lr } };
}
