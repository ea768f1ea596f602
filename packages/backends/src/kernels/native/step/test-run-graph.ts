/**
 * Test-only: runs a graph built with `OnnxGraph` in ONNX Runtime (onnxruntime-node's public API), for the
 * tests of the step's parts. Inputs are float32 or int32 arrays with their shapes.
 */
import { encodeModelProto, OnnxGraph } from '@strata/onnx/graph';

/** A graph input: its values (the array's type is the input's element type) and shape. */
export interface Feed {
  values: Float32Array | Int32Array;
  shape: readonly number[];
}

interface OrtModule {
  Tensor: new (
    type: 'float32' | 'int32',
    data: Float32Array | Int32Array,
    dims: readonly number[],
  ) => unknown;
  InferenceSession: {
    create(bytes: Uint8Array): Promise<{
      run(
        feeds: Record<string, unknown>,
      ): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
      release(): Promise<void>;
    }>;
  };
}

/**
 * Declares `feeds` as the graph's inputs, lets `build` emit ops and return the values to fetch, and
 * runs the model once; returns each fetched value's data, by the name `build` gave it. `declared`: more
 * inputs, which `build` declares itself.
 */
export async function runGraph(
  feeds: Record<string, Feed>,
  build: (g: OnnxGraph) => Record<string, string>,
  declared: Record<string, Feed> = {},
): Promise<Record<string, Float32Array>> {
  const ort = (await import('onnxruntime-node')) as unknown as OrtModule;
  const g = new OnnxGraph();
  for (const [name, { values, shape }] of Object.entries(feeds))
    g.addInput(name, [...shape], values instanceof Int32Array ? 'int32' : 'float32');
  const fetches = build(g);
  for (const [name, value] of Object.entries(fetches)) g.addOutput(`out/${name}`, value, null, 'float32');
  const bytes = encodeModelProto({
    irVersion: 8,
    producerName: 'strata-test',
    opsetImport: [{ domain: '', version: g.opset }],
    graph: g.toProto('test'),
  });
  const session = await ort.InferenceSession.create(bytes);
  try {
    const inputs: Record<string, unknown> = {};
    for (const [name, { values, shape }] of Object.entries({ ...feeds, ...declared }))
      inputs[name] = new ort.Tensor(values instanceof Int32Array ? 'int32' : 'float32', values, shape);
    const results = await session.run(inputs);
    return Object.fromEntries(Object.keys(fetches).map((name) => [name, results[`out/${name}`].data]));
  } finally {
    await session.release();
  }
}
