import { type Model, type Optimizer, ValueError } from '@strata/core';

/** The model's optimizer, for the callbacks that read and set its learning rate. */
export function optimizerOf(model: Model | null, callbackName: string): Optimizer {
  const optimizer = model?.optimizer;
  if (!optimizer) {
    throw new ValueError(
      `${callbackName} needs a compiled model with an optimizer: call \`model.compile()\` first.`,
    );
  }
  if (typeof (optimizer as { learningRate?: unknown }).learningRate !== 'number') {
    throw new ValueError('Optimizer must have a "learning_rate" attribute.');
  }
  return optimizer;
}
