export { AdditiveAttention, type AdditiveAttentionArgs } from './additive-attention.js';
export { Attention, type AttentionArgs, type AttentionCallKwargs } from './attention.js';
export { EinsumDense, type EinsumDenseArgs } from './einsum-dense.js';
export {
  MultiHeadAttention,
  type MultiHeadAttentionArgs,
  type MultiHeadAttentionCallKwargs,
} from './multi-head-attention.js';
