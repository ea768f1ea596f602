import { ValueError } from '../errors.js';
import type { Layer } from '../layer.js';
import type { Node, SymbolicTensor } from './symbolic-tensor.js';

/** The layers and nodes of a functional graph in execution order, as `mapGraph` returns them. */
export interface GraphMap {
  /** Layers in Keras's order: by decreasing depth (inputs first), ties broken by traversal order. */
  layers: Layer[];
  /** Nodes in execution order (inputs first), input nodes excluded. */
  nodes: Node[];
  /** Every node that belongs to the graph (input nodes included). */
  nodeSet: Set<Node>;
}

/**
 * Orders a functional graph as Keras 3's `map_graph` does. The layer order matters beyond execution:
 * Keras names weight groups in files (`dense`, `dense_1`, ...) by it.
 */
export function mapGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): GraphMap {
  const finished = new Set<Node>();
  const inProgress = new Set<Node>();
  const nodesInDecreasingDepth: Node[] = [];
  const layerIndices = new Map<Layer, number>();
  const inputSet = new Set(inputs);

  const visit = (tensor: SymbolicTensor): void => {
    const layer = tensor.sourceLayer;
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (finished.has(node)) return;
    if (inProgress.has(node)) {
      throw new ValueError(`Tensor ${tensor.name} from layer "${layer.name}" is part of a cycle.`);
    }
    if (!layerIndices.has(layer)) layerIndices.set(layer, layerIndices.size);
    inProgress.add(node);
    if (!node.isInput && !inputSet.has(tensor)) {
      for (const t of node.inboundTensors) visit(t);
    }
    finished.add(node);
    inProgress.delete(node);
    nodesInDecreasingDepth.push(node);
  };
  for (const o of outputs) visit(o);

  const nodeDepths = new Map<Node, number>();
  const layerDepths = new Map<Layer, number>();
  for (const node of [...nodesInDecreasingDepth].reverse()) {
    if (!nodeDepths.has(node)) nodeDepths.set(node, 0);
    const depth = Math.max(nodeDepths.get(node)!, layerDepths.get(node.layer) ?? 0);
    layerDepths.set(node.layer, depth);
    nodeDepths.set(node, depth);
    for (const parent of node.parentNodes) {
      nodeDepths.set(parent, Math.max(depth + 1, nodeDepths.get(parent) ?? 0));
    }
  }
  for (const t of inputs) {
    const layer = t.sourceLayer;
    if (!layerDepths.has(layer)) {
      layerDepths.set(layer, 0);
      layerIndices.set(layer, -1);
      nodeDepths.set(layer.inboundNodes[0], 0);
    }
  }

  const byDepth = <K>(depths: Map<K, number>): Map<number, K[]> => {
    const out = new Map<number, K[]>();
    for (const [k, d] of depths) {
      if (!out.has(d)) out.set(d, []);
      out.get(d)!.push(k);
    }
    return out;
  };
  const layersByDepth = byDepth(layerDepths);
  const layers: Layer[] = [];
  for (const d of [...layersByDepth.keys()].sort((a, b) => b - a)) {
    layers.push(...layersByDepth.get(d)!.sort((a, b) => layerIndices.get(a)! - layerIndices.get(b)!));
  }
  const nodesByDepth = byDepth(nodeDepths);
  const nodes: Node[] = [];
  for (const d of [...nodesByDepth.keys()].sort((a, b) => b - a)) {
    for (const n of nodesByDepth.get(d)!) if (!n.isInput) nodes.push(n);
  }

  // Every input the outputs need must be among the model inputs, keyword-argument tensors included.
  const computable = new Set<SymbolicTensor>(inputs);
  for (const node of nodes) {
    for (const t of node.inboundTensors) {
      if (!computable.has(t)) {
        throw new ValueError(
          `Graph disconnected: cannot find the value of tensor ${t.name} at layer "${node.layer.name}". ` +
            `The following inputs were given: [${inputs.map((i) => i.name).join(', ')}].`,
        );
      }
    }
    for (const t of node.outputTensors) computable.add(t);
  }
  return { layers, nodes, nodeSet: new Set(nodeDepths.keys()) };
}
