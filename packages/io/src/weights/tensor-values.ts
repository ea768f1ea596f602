import { formatShape, ValueError, type Variable } from '@strata/core';
import * as tf from '@tensorflow/tfjs-core';

import type { H5Dataset, H5NumericDtype, H5Values } from '../hdf5/h5-tree.js';
import { newDataset } from '../hdf5/h5-tree.js';

/** A value read from a file, checked against the variable it is meant for, not yet assigned. */
export interface PendingAssignment {
  variable: Variable;
  values: Float32Array | Int32Array;
}

/** Checks a dataset against a variable (shape, numeric type, value range) and converts its values. */
export function checkedValues(
  ds: H5Dataset,
  variable: Variable,
  where: string,
  owner: string,
): PendingAssignment {
  if (!ds.data) throw new ValueError(`${owner}: ${where} is not numeric data (dtype ${ds.dtype}).`);
  if (!tf.util.arraysEqual(ds.shape, variable.shape)) {
    throw new ValueError(
      `${owner}: weight '${variable.name}' expects shape ${formatShape(variable.shape)}, ` +
        `but ${where} has shape ${formatShape(ds.shape)}.`,
    );
  }
  return { variable, values: convert(ds.data, variable.dtype, where) };
}

function convert(data: H5Values, dtype: tf.DataType, where: string): Float32Array | Int32Array {
  if (dtype === 'int32' || dtype === 'bool') {
    const out = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) {
        throw new ValueError(
          `${where}: value ${String(data[i])} does not fit the int32 variable it is loaded into.`,
        );
      }
      out[i] = v;
    }
    return out;
  }
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, Number);
  return Float32Array.from(data as ArrayLike<number>);
}

/** Assigns checked values; called only once every value of a load has been read and checked. */
export function assignAll(pending: PendingAssignment[]): void {
  for (const { variable, values } of pending) {
    tf.tidy(() =>
      variable.assign(tf.tensor(values, variable.shape, variable.dtype === 'int32' ? 'int32' : 'float32')),
    );
  }
}

/** A variable's value as an HDF5 dataset. Integer state (iteration counts) is int64, as Keras stores it. */
export function variableDataset(variable: Variable): H5Dataset {
  const values = variable.value.dataSync();
  return valuesDataset(values, variable.shape, variable.dtype);
}

export function valuesDataset(values: ArrayLike<number>, shape: number[], dtype: tf.DataType): H5Dataset {
  if (dtype === 'int32' || dtype === 'bool') {
    return newDataset(BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))), shape, 'int64');
  }
  const out = values instanceof Float32Array ? Float32Array.from(values) : Float32Array.from(values);
  return newDataset(out, shape, 'float32' as H5NumericDtype);
}
