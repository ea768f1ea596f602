import { Model, mapGraph, type Node, RuntimeError, type SymbolicTensor, ValueError } from '@strata/core';

import { converterFor, type LayerCall, layerClassName, readLayerWeights } from './converters/converter.js';
import { MASK_CONVERTERS, MASK_READERS, makeMask, maskRule, receivesInputMasks } from './masks.js';
import { BASE_OPSET, OnnxGraph, type ValueType } from './onnx-graph.js';
import { encodeModelProto } from './proto/onnx-proto.js';

/**
 * The ONNX opset the exporter writes (ONNX Runtime 1.14 and newer run it), unless a layer needs a newer
 * one: TextVectorization's punctuation stripping and n-grams join strings with opset 20's StringConcat.
 */
export const ONNX_OPSET = BASE_OPSET;

/** Options of `exportOnnx` / `model.export(path, { format: 'onnx' })`. */
export interface OnnxExportOptions {
  format?: 'onnx';
  /** The graph name written into the file; the model's name by default. */
  graphName?: string;
}

const MODEL_CLASSES = new Set(['Functional', 'Sequential']);

const classNameOf = layerClassName;

function graphOf(model: Model): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; nodes: Node[] } {
  const { nodes } = mapGraph(model.inputs, model.outputs);
  return { inputs: model.inputs, outputs: model.outputs, nodes };
}

function checkExportable(model: Model): void {
  if (model.isFunctional) return;
  if (model.built)
    throw new ValueError(
      `Model "${model.name}" is a subclassed model: its call is code, not a graph of layers, so it cannot be ` +
        'exported to ONNX. Build it as a functional or Sequential model.',
    );
  throw new ValueError(
    `Model "${model.name}" is not built, so it has no graph to export: give it an input shape ` +
      '(an input() or an InputLayer) or call it on data first.',
  );
}

/** Every layer call of the model (nested models included) the exporter cannot express, as "name (Class): why". */
function unsupportedCalls(model: Model): string[] {
  const problems: string[] = [];
  // The tensors that carry a mask: one the export computes, or one it does not (named by its maker).
  const masks = new Map<SymbolicTensor, true | string>();
  const visit = (m: Model) => {
    for (const node of graphOf(m).nodes) {
      const layer = node.layer;
      const className = classNameOf(layer);
      const where = `${layer.name} (${className})`;
      if (MODEL_CLASSES.has(className) && layer instanceof Model) {
        // A mask crosses into the nested model and back out with the tensors that carry it.
        layer.inputs.forEach((t, i) => {
          const mask = masks.get(node.inputTensors[i]);
          if (mask) masks.set(t, mask);
        });
        visit(layer);
        layer.outputs.forEach((t, i) => {
          const mask = masks.get(t);
          if (mask) masks.set(node.outputTensors[i], mask);
        });
        continue;
      }
      const converter = converterFor(className);
      if (!converter) {
        problems.push(`${where}: no ONNX converter`);
        continue;
      }
      let config: Record<string, any>;
      try {
        config = layer.getConfig() as Record<string, any>;
      } catch (e) {
        // A custom activation function, say: its config is code, which ONNX cannot carry.
        problems.push(`${where}: ${(e as Error).message}`);
        continue;
      }
      const problem = converter.check?.(layer, node, config) ?? null;
      if (problem) problems.push(`${where}: ${problem}`);
      const inMasks = node.inputTensors.map((t) => masks.get(t));
      // A symbolic mask given in the call wins over the inputs' (the export computes it: it is a tensor).
      const explicit = node.kwargsTensors.includes(node.kwargs.mask as SymbolicTensor);
      const previous = explicit ? true : inMasks[0];
      const received = explicit
        ? [true]
        : receivesInputMasks(node)
          ? inMasks.filter((mask) => mask != null)
          : [];
      if (received.length > 0 && !MASK_CONVERTERS.has(className) && MASK_READERS.has(className))
        problems.push(
          `${where}: its input carries a mask (from Embedding(maskZero) or Masking), which the export does not carry into a ${className}`,
        );
      const unknown = received.find((mask) => mask !== true);
      if (unknown && MASK_CONVERTERS.has(className))
        problems.push(`${where}: its input's mask is made by ${unknown}, which the export does not compute`);
      const rule = maskRule(node, config, explicit || inMasks.some((mask) => mask != null));
      const out = node.outputTensors[0];
      if (rule === 'embedding' || rule === 'masking') masks.set(out, true);
      else if (rule === 'first' && previous != null) masks.set(out, previous);
      else if (rule === 'unknown') masks.set(out, where);
    }
  };
  visit(model);
  return problems;
}

function valueType(t: SymbolicTensor): ValueType {
  if (t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool' || t.dtype === 'string')
    return t.dtype;
  throw new ValueError(
    `ONNX export supports float32, int32, bool and string inputs and outputs. Received: dtype=${t.dtype} for ${t.name}`,
  );
}

/** The default domain's opset the model needs: the base one, or newer where a layer's converter asks. */
function requiredOpset(model: Model): number {
  let opset = BASE_OPSET;
  for (const { layer } of graphOf(model).nodes) {
    if (layer instanceof Model && MODEL_CLASSES.has(classNameOf(layer))) {
      opset = Math.max(opset, requiredOpset(layer));
      continue;
    }
    const minOpset = converterFor(classNameOf(layer))?.minOpset;
    if (minOpset) opset = Math.max(opset, minOpset(layer, layer.getConfig() as Record<string, any>));
  }
  return opset;
}

/**
 * Adds the model's calls to the graph, given the ONNX values of its inputs and of their masks; returns its
 * outputs' values and masks.
 */
function convertModel(
  graph: OnnxGraph,
  model: Model,
  inputValues: string[],
  inputMasks: (string | null)[],
): { values: string[]; masks: (string | null)[] } {
  const { inputs, outputs, nodes } = graphOf(model);
  const values = new Map<SymbolicTensor, string>();
  const masks = new Map<SymbolicTensor, string>();
  inputs.forEach((t, i) => {
    values.set(t, inputValues[i]);
    if (inputMasks[i]) masks.set(t, inputMasks[i]!);
  });
  const onnxValue = (t: SymbolicTensor) => {
    const v = values.get(t);
    if (v == null)
      throw new RuntimeError(`Internal error: no ONNX value for ${t.name} in model "${model.name}".`);
    return v;
  };
  for (const node of nodes) {
    const layer = node.layer;
    const className = classNameOf(layer);
    graph.scope = layer.name;
    const inMasks = node.inputTensors.map((t) => masks.get(t) ?? null);
    let outs: string[];
    let outMasks: (string | null)[];
    if (MODEL_CLASSES.has(className) && layer instanceof Model) {
      ({ values: outs, masks: outMasks } = convertModel(
        graph,
        layer,
        node.inputTensors.map(onnxValue),
        inMasks,
      ));
    } else {
      const kwargs: Record<string, string> = {};
      for (const [k, v] of Object.entries(node.kwargs)) {
        if (v != null && typeof v === 'object' && values.has(v as SymbolicTensor))
          kwargs[k] = onnxValue(v as SymbolicTensor);
      }
      const config = layer.getConfig() as Record<string, any>;
      // A mask given in the call wins over the inputs' masks, as in runGraph.
      const explicit = kwargs.mask ? graph.op1('Cast', [kwargs.mask], { to: 9 }) : null;
      const previous = explicit ?? inMasks[0];
      const call: LayerCall = {
        graph,
        layer,
        config,
        node,
        inputs: node.inputTensors.map(onnxValue),
        kwargs,
        masks: explicit
          ? inMasks.map((_, i) => (i === 0 ? explicit : null))
          : receivesInputMasks(node)
            ? inMasks
            : inMasks.map(() => null),
        inputShapes: node.inputTensors.map((t) => t.shape),
        outputShapes: node.outputTensors.map((t) => t.shape),
        weights: readLayerWeights(layer),
      };
      outs = converterFor(className)!.convert(call);
      const rule = maskRule(node, config, previous != null || inMasks.some((m) => m != null));
      outMasks = outs.map(() => null);
      if (rule === 'embedding' || rule === 'masking')
        outMasks[0] = makeMask(graph, rule, call.inputs[0], config);
      else if (rule === 'first') outMasks[0] = previous;
    }
    node.outputTensors.forEach((t, i) => {
      values.set(t, outs[i]);
      if (outMasks[i]) masks.set(t, outMasks[i]!);
    });
  }
  graph.scope = '';
  return { values: outputs.map(onnxValue), masks: outputs.map((t) => masks.get(t) ?? null) };
}

/**
 * The ONNX file of a built functional or Sequential model, as bytes: opset 17, a symbolic batch dimension,
 * inputs and outputs named after the model's. Fails before anything is built, listing every layer the
 * exporter cannot express.
 *
 * @example
 * ```ts
 * const bytes = toOnnx(model); // e.g. for onnxruntime-web's InferenceSession.create(bytes)
 * ```
 */
export function toOnnx(model: Model, options: OnnxExportOptions = {}): Uint8Array {
  if (!(model instanceof Model))
    throw new ValueError(
      `Expected a Strata Model to export. Received: ${Object.prototype.toString.call(model)}`,
    );
  checkExportable(model);
  const problems = unsupportedCalls(model);
  if (problems.length > 0)
    throw new ValueError(
      `Model "${model.name}" cannot be exported to ONNX; these layers cannot be expressed:\n  ${problems.join('\n  ')}`,
    );
  const graph = new OnnxGraph(requiredOpset(model));
  const inputNames = uniqueNames(
    model.inputNames.length ? model.inputNames : model.inputs.map((t) => t.name),
  );
  model.inputs.forEach((t, i) => {
    graph.addInput(inputNames[i], t.shape, valueType(t));
  });
  const { values: outs } = convertModel(
    graph,
    model,
    inputNames,
    inputNames.map(() => null),
  );
  const outputNames = uniqueNames(
    model.outputNames.length ? model.outputNames : model.outputs.map((t) => t.name),
  );
  model.outputs.forEach((t, i) => {
    graph.addOutput(outputNames[i], outs[i], t.shape, valueType(t));
  });
  const proto = graph.toProto(options.graphName ?? model.name);
  return encodeModelProto({
    // IR version 8 goes with opsets up to 18, 9 with 19 and 20.
    irVersion: graph.opset >= 19 ? 9 : 8,
    producerName: 'strata',
    producerVersion: '0.1.0',
    opsetImport: [
      { domain: '', version: graph.opset },
      ...[...graph.domains].map(([domain, version]) => ({ domain, version })),
    ],
    graph: proto,
  });
}

/** Names made unique by suffixes (`dense`, `dense_1`): a layer that returns its states gives one name to several outputs. */
function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let i = 1; seen.has(name); i++) name = `${n}_${i}`;
    seen.add(name);
    return name;
  });
}

/**
 * Writes the model as an ONNX file (what `model.export(path, { format: 'onnx' })` runs). The bytes are built
 * in full, then written to a temporary file beside the target and renamed over it, so a failure leaves no
 * partial file. As with `save`, the folder must exist.
 */
export async function exportOnnx(
  model: Model,
  target: unknown,
  options: OnnxExportOptions = {},
): Promise<void> {
  if (typeof target !== 'string' || target === '')
    throw new ValueError(
      `Expected a file path (a non-empty string) to export to. Received: target=${typeof target === 'string' ? '""' : String(target)}`,
    );
  if (options.format != null && options.format !== 'onnx')
    throw new ValueError(`exportOnnx writes format='onnx'. Received: format=${String(options.format)}`);
  const bytes = toOnnx(model, options);
  // Loaded here, not at the top, so that toOnnx works in a browser bundle.
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const dir = path.dirname(path.resolve(target));
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat?.isDirectory())
    throw new ValueError(
      `Cannot export to ${target}: the folder ${dir} does not exist (export does not create folders).`,
    );
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(temp, bytes);
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw new RuntimeError(`Cannot write the ONNX file ${target}: ${(e as Error).message}`);
  }
}
