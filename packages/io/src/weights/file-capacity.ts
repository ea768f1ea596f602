import {
  formatShape,
  type Layer,
  type PlannedWeight,
  ValueError,
  type Variable,
  type WeightsFromFile,
} from '@strata/core';

import type { H5Group } from '../hdf5/h5-tree.js';
import { walkSaved } from './model-shape.js';

/** How many values a weights file holds: in its largest array, and in all of them together. */
export interface FileCapacity {
  largest: number;
  total: number;
}

/** The capacity of an HDF5 weights tree (every numeric dataset, wherever it sits). */
export function h5Capacity(root: H5Group): FileCapacity {
  const cap: FileCapacity = { largest: 0, total: 0 };
  const visit = (g: H5Group) => {
    for (const child of g.children.values()) {
      if (child.kind === 'group') visit(child);
      else if (child.data) {
        cap.largest = Math.max(cap.largest, child.data.length);
        cap.total += child.data.length;
      }
    }
  };
  visit(root);
  return cap;
}

/** The capacity of decoded weights (a TF.js manifest's). */
export function arraysCapacity(arrays: Iterable<{ length: number }>): FileCapacity {
  const cap: FileCapacity = { largest: 0, total: 0 };
  for (const a of arrays) {
    cap.largest = Math.max(cap.largest, a.length);
    cap.total += a.length;
  }
  return cap;
}

/**
 * What core's `addWeight` consults while a model is rebuilt from a file (see `buildingFromFile`). Every
 * weight of the model gets its value from one array of the file, so a weight bigger than the file's
 * largest array, or weights adding up to more than the file holds, mean the config does not describe
 * this file (a hostile `units: 1e6`, `input_shape: [null, 1e9]`): that fails before anything is
 * allocated. The variables made are listed, so a build that fails half-way can dispose them.
 */
export class FileWeights implements WeightsFromFile {
  readonly variables: Variable[] = [];
  private declared = 0;

  constructor(
    private readonly capacity: FileCapacity,
    private readonly what: string,
  ) {}

  check(w: PlannedWeight): void {
    const count = w.shape.reduce((a, b) => a * b, 1);
    const layer = w.path.includes('/') ? w.path.slice(0, w.path.lastIndexOf('/')) : w.path;
    const name = w.path.slice(layer.length + 1) || w.path;
    const declares = `Layer "${layer}" declares weight '${name}' of shape ${formatShape(w.shape)}`;
    if (!Number.isSafeInteger(count) || count > this.capacity.largest) {
      throw new ValueError(
        `${declares} (${count} values), but the largest array in ${this.what} holds ${this.capacity.largest}. ` +
          'The config (units, filters, input shape, …) does not match the weights in the file; nothing was allocated for it.',
      );
    }
    this.declared += count;
    // Some layers build weights the file never holds (Bidirectional's template layer beside its forward
    // and backward copies), so the total is bounded with room to spare: the point is that a config cannot
    // make the load allocate far more than the file could fill.
    if (this.declared > 4 * this.capacity.total + 4096) {
      throw new ValueError(
        `${declares}, which brings the model to ${this.declared} weight values, but ${this.what} holds ${this.capacity.total} in all. ` +
          'The config does not match the weights in the file; nothing was allocated for it.',
      );
    }
  }

  created(variable: Variable): void {
    this.variables.push(variable);
  }

  /** Disposes every variable made under this scope (after a failed build). */
  disposeCreated(): void {
    for (const v of this.variables) if (!v.value.isDisposed) v.dispose();
  }
}

/**
 * The most bytes an honest Keras weights file (`model.weights.h5`) for `model` can take, to cap the zip
 * member before it is inflated: every value at most 8 bytes (float64), up to four copies of each weight
 * (the weight and an optimizer's slots: Adam's m and v, AMSGrad's v-hat), HDF5's headers for every object,
 * and named state (such as idf_weights) no bigger than the archive's assets.
 */
export function kerasWeightsByteCap(model: Layer, assetBytes: number): number {
  let values = 0;
  let variables = 0;
  let objects = 0;
  walkSaved(model, '', (layer) => {
    objects++;
    for (const v of layer.ownVariables) {
      values += v.size;
      variables++;
    }
  });
  return 4 * 8 * values + 64 * 1024 * (4 * variables + objects) + 16 * assetBytes + 2 ** 20;
}
