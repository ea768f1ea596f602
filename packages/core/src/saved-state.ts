/**
 * A float32 array that a layer keeps outside its variables, such as a lookup layer's TF-IDF weights,
 * saved by Keras 3 next to the variables (`save_own_variables`) and given back by a layer's
 * `kerasSaveState` / taken by its `kerasLoadState`.
 *
 * @example
 * ```ts
 * const idf: KerasStateArray = { values: new Float32Array([0.5, 1.2]), shape: [2] };
 * ```
 */
export interface KerasStateArray {
  values: Float32Array;
  shape: number[];
}
