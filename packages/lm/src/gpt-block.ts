import * as tf from '@tensorflow/tfjs-core';
import { causalSelfAttention, type CausalSelfAttentionOptions } from './causal-self-attention.js';
import { dense } from './dense.js';
import { gelu } from './gelu.js';
import type { GPTBlockParameters } from './gpt-parameters.js';
import type { LayerKeyValues } from './kv-cache.js';
import { layerNorm } from './layer-norm.js';
import { seededDropout } from './seeded-dropout.js';

/**
 * One pre-LN transformer block, as GPT-2:
 * `h = x + attn(ln_1(x))`, `out = h + mlp(ln_2(h))`, with `mlp(z) = gelu(z W_fc + b_fc) W_proj + b_proj`
 * (hidden width 4d) and dropout on each residual branch when training.
 *
 * @see Radford et al. 2019, Sec. 2.3 (layer norm moved to the input of each sub-block);
 *   Vaswani et al. 2017, Sec. 3.3 (position-wise feed-forward network).
 * @param x - residual stream `[B*T, d]`.
 * @returns `output` `[B*T, d]` and the layer's keys/values when asked; the caller disposes them.
 */
export function gptBlock(
  x: tf.Tensor2D,
  parameters: GPTBlockParameters,
  options: CausalSelfAttentionOptions & { readonly layerNormEpsilon: number },
): { output: tf.Tensor2D; present: LayerKeyValues | undefined } {
  return tf.tidy(() => {
    const epsilon = options.layerNormEpsilon;
    const { ln1, ln2, mlp } = parameters;
    const normed = layerNorm(x, ln1.gamma as tf.Tensor1D, ln1.beta as tf.Tensor1D, epsilon) as tf.Tensor2D;
    const attention = causalSelfAttention(normed, parameters.attention, options);
    const h = tf.add(x, attention.output) as tf.Tensor2D;
    const hidden = gelu(
      dense(layerNorm(h, ln2.gamma as tf.Tensor1D, ln2.beta as tf.Tensor1D, epsilon) as tf.Tensor2D, mlp.cFc),
    );
    const mlpOutput = seededDropout(dense(hidden as tf.Tensor2D, mlp.cProj), options.dropout, options.rng);
    return { output: tf.add(h, mlpOutput) as tf.Tensor2D, present: attention.present };
  });
}
