import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { KernelFix } from '../../kernel-fixes.js';
import { isFloat } from './mat-mul.js';

/**
 * A fix for tfjs-backend-cpu's kernel `kernelName` (or that of `backendName`, a backend on its tensor
 * storage) that runs `kernelFunc` when the named `operands` are all float32, and the kernel it replaces
 * for any other dtype (and wherever `kernelFunc` returns null: a case it does not take).
 */
export function floatFix(
  kernelName: string,
  kernelFunc: (args: Parameters<KernelFunc>[0]) => TensorInfo | TensorInfo[] | null,
  operands: readonly string[],
  backendName = 'cpu',
): KernelFix {
  return {
    kernelName,
    backendName,
    mode: 'wrap',
    create: (original) => ({
      ...(original as KernelConfig),
      kernelFunc: (args) => {
        const named = args.inputs as unknown as Record<string, TensorInfo>;
        const ours = isFloat(...operands.map((name) => named[name])) ? kernelFunc(args) : null;
        return ours ?? (original as KernelConfig).kernelFunc(args);
      },
    }),
  };
}
