import * as tf from '@tensorflow/tfjs-core';
import { checkArgumentNames } from './argument-names.js';
import { type ModelData, nestedArrayShape } from './engine/data-adapter.js';
import type { Shape, SymbolicTensor } from './engine/symbolic-tensor.js';
import { ValueError } from './errors.js';
import { InputLayer } from './input-layer.js';
import { dtypePolicyJSON, Layer, type LayerArgs } from './layer.js';
import { BASE_LAYER_ARGUMENTS } from './layer-arguments.js';
import { Model } from './model.js';
import { register } from './registry.js';
import {
  configToKeras,
  deserializeKerasObject,
  type KerasObjectJSON,
  serializeKerasObject,
} from './serialization.js';

/** Constructor arguments of `Sequential`: its layers and a name. */
export interface SequentialArgs extends LayerArgs {
  layers?: Layer[];
}

/**
 * A linear stack of layers (Keras's `Sequential`). The input shape comes from an InputLayer, from the
 * first layer's `inputShape`, or from the first data the model sees.
 *
 * Keras: `keras.Sequential`
 *
 * @example
 * ```ts
 * const model = new Sequential([
 *   new Dense({ units: 64, activation: 'relu', inputShape: [100] }),
 *   new Dense({ units: 10, activation: 'softmax' }),
 * ]);
 * model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
 * model.summary();
 * ```
 */
export class Sequential extends Model<SymbolicTensor> {
  static override className = 'Sequential';

  private stack: Layer[] = [];
  private inputLayer: InputLayer | null = null;

  constructor(layersOrArgs?: Layer[] | SequentialArgs) {
    const args: SequentialArgs = Array.isArray(layersOrArgs)
      ? { layers: layersOrArgs }
      : (layersOrArgs ?? {});
    if (new.target === Sequential)
      checkArgumentNames(args, [...BASE_LAYER_ARGUMENTS, 'layers'], 'Sequential');
    const { layers, ...rest } = args;
    super(rest);
    this.built = false;
    for (const l of layers ?? []) this.add(l);
  }

  /** Appends a layer; with a known input shape the graph is rebuilt at once, so shape errors show here. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) {
      throw new ValueError(
        `Only instances of Layer can be added to a Sequential model. Received: ${String(layer)}`,
      );
    }
    if (layer instanceof InputLayer) {
      if (this.inputLayer || this.stack.length) {
        throw new ValueError(`Sequential model "${this.name}": an InputLayer can only be the first layer.`);
      }
      this.inputLayer = layer;
      this.rebuild();
      return;
    }
    if (this.stack.includes(layer))
      throw new ValueError(`Layer "${layer.name}" is already in Sequential model "${this.name}".`);
    if ([this.inputLayer, ...this.stack].some((l) => l?.name === layer.name))
      throw new ValueError(
        'All layers added to a Sequential model should have unique names. ' +
          `Name '${layer.name}' is already the name of a layer in this model. Update the \`name\` argument to pass a unique name.`,
      );
    if (!this.inputLayer && this.stack.length === 0 && layer.batchInputShape) {
      this.inputLayer = new InputLayer({ batchShape: layer.batchInputShape });
    }
    this.stack.push(layer);
    try {
      this.rebuild();
    } catch (e) {
      this.stack.pop();
      this.rebuild();
      throw e;
    }
  }

  /** Removes the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (!layer) throw new ValueError(`There are no layers in Sequential model "${this.name}" to pop.`);
    this.rebuild();
    return layer;
  }

  override get layers(): Layer[] {
    return this.stack.slice();
  }

  override get subLayers(): Layer[] {
    return this.stack.slice();
  }

  private rebuild(): void {
    this.outputNames = this.stack.length ? [this.stack[this.stack.length - 1].name] : [];
    if (!this.inputLayer || this.stack.length === 0) {
      this.graph = null;
      this.built = false;
      if (this.inputLayer) this.inputNames = [this.inputLayer.name];
      return;
    }
    let x: SymbolicTensor = this.inputLayer.output;
    for (const layer of this.stack) {
      const out = layer.apply(x);
      if (Array.isArray(out)) {
        throw new ValueError(
          `All layers in a Sequential model should have a single output tensor. Layer "${layer.name}" has ${out.length} outputs.`,
        );
      }
      x = out;
    }
    this.initGraph(this.inputLayer.output, x);
  }

  /** Builds the graph for a batch input shape (Keras's `build`). */
  override build(inputShape: Shape | Shape[]): void {
    if (this.graph) return;
    const shape = (Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0] : inputShape) as Shape;
    if (this.stack.length === 0)
      throw new ValueError(`Sequential model "${this.name}" has no layers to build.`);
    this.inputLayer ??= new InputLayer({ batchShape: [null, ...shape.slice(1)] });
    this.rebuild();
  }

  override buildFromConfig(config: Record<string, unknown>): void {
    const shape = config.input_shape as Shape | undefined;
    if (shape && !this.graph) this.build(shape);
  }

  protected override ensureGraph(inputs?: tf.Tensor[]): void {
    if (!this.graph && inputs && inputs.length > 0) this.build(inputs[0].shape);
    super.ensureGraph(inputs);
  }

  protected override maybeBuildFrom(x: ModelData, _owned: tf.Tensor[]): void {
    if (this.graph) return;
    const first = Array.isArray(x) && x[0] instanceof tf.Tensor ? x[0] : x;
    if (first instanceof tf.Tensor) this.build(first.shape);
    else if (Array.isArray(first)) this.build(nestedArrayShape(first));
  }

  override runGraph(xs: tf.Tensor[], training: boolean): tf.Tensor[] {
    if (!this.graph) this.ensureGraph(xs);
    return super.runGraph(xs, training);
  }

  override getKerasModule(): string {
    return 'keras';
  }

  override getRegisteredName(): string | null {
    return null;
  }

  override getKerasConfig(): Record<string, unknown> {
    const layers = [...(this.inputLayer ? [this.inputLayer] : []), ...this.stack].map((l) =>
      serializeKerasObject('layer', l),
    );
    const config: Record<string, unknown> = {
      name: this.name,
      trainable: this.trainable,
      dtype: dtypePolicyJSON(),
      layers,
    };
    if (this.inputLayer) config.build_input_shape = this.inputLayer.batchShape;
    return config;
  }

  override getBuildConfig(): Record<string, unknown> | null {
    return this.inputLayer ? { input_shape: this.inputLayer.batchShape } : null;
  }

  static override fromKerasConfig(config: Record<string, unknown>): Sequential {
    const layerConfigs = (Array.isArray(config) ? config : config.layers) as KerasObjectJSON[];
    const model = new Sequential({
      name: config.name as string | undefined,
      trainable: config.trainable as boolean | undefined,
    });
    for (const lc of layerConfigs) model.add(deserializeKerasObject<Layer>('layer', lc));
    const shape = config.build_input_shape as Shape | undefined;
    if (shape && !model.graph) model.build(shape);
    return model;
  }

  /** Rebuilds from `getConfig()`'s camelCase form (a Keras snake_case config or a list of layers works too). */
  static override fromConfig<T extends Layer>(this: new (args: any) => T, config: Record<string, any>): T {
    // A Keras 2 config may be the bare list of layers, which fromKerasConfig takes as it is.
    const keras = Array.isArray(config) ? config : configToKeras(config);
    return Sequential.fromKerasConfig(keras as Record<string, unknown>) as unknown as T;
  }
}

register('layer', 'Sequential', Sequential, { module: '@strata/core' });
