import type { ThroughputGPTShape } from './sizes.js';

/**
 * FLOP counts of the timed steps, analytically, counting multiply-adds of the matmuls as 2 FLOPs
 * and nothing else (layer norms, softmax, GELU, AdamW are left out, so achieved GFLOP/s is a
 * lower bound on what the hardware did). Backward costs twice the forward (a gradient for the
 * input and one for the weights), so forward + backward = 3 x forward.
 *
 * GPT forward over one row of T tokens (the model always runs the full row, padding included):
 *
 *   F(T) = T * 2 * (12 L d^2 + d V) + L * 4 T^2 d
 *
 * 12 L d^2: the weights of the blocks (qkv 3d^2, projection d^2, MLP 8d^2); d V: the tied
 * output head; 4 T^2 d per layer: q k^T and p v over every head, with the full T x T products
 * as computed (the causal mask does not skip work). The embedding lookup is not counted (a
 * gather; lm happens to do it as a one-hot matmul for small vocabularies). This is Kaplan et
 * al.'s 2N + 2 n_layer n_ctx d_attn per token (Kaplan et al. 2020, Table 1) with N = 12 L d^2 + d V,
 * doubled attention because both T x T products are counted.
 */
export const FLOP_FORMULAS = {
  gptForward:
    'F(T) = T * 2 * (12 L d^2 + d V) + 4 L T^2 d per row of T tokens (matmuls only; embedding lookup not counted)',
  sft: '3 F(T) per row (forward + backward)',
  dpo: '4 F(T) per row, 2 rows per pair (policy forward + backward, frozen reference forward)',
  ppo: 'B * (generation: 2 N per sampled token + prompt prefill) + (2 + 3 E) F(P + R) per rollout (reference and policy/value forwards, E epochs of forward + backward)',
  diffusion:
    '2 * (dense multiply-adds per image) per forward; per pair: 3 x 2 images through the policy, 1 x 2 through the reference',
  ddpo: 'per trajectory: 2 forwards (classifier-free guidance) per sampled DDIM step, and 3 x 2 per trained timestep (forward + backward)',
} as const;

/** Matmul weights of the GPT blocks and head: N = 12 L d^2 + d V. */
export function gptMatmulParameters(shape: ThroughputGPTShape): number {
  return 12 * shape.nLayer * shape.dModel ** 2 + shape.dModel * shape.vocabSize;
}

/** Forward FLOPs of one row of `tokens` tokens (see {@link FLOP_FORMULAS}). */
export function gptForwardFlops(shape: ThroughputGPTShape, tokens: number): number {
  return tokens * 2 * gptMatmulParameters(shape) + shape.nLayer * 4 * tokens ** 2 * shape.dModel;
}

/** SFT step: `rows` rows of `contextLength` tokens, forward + backward. */
export function sftStepFlops(shape: ThroughputGPTShape, rows: number): number {
  return 3 * rows * gptForwardFlops(shape, shape.contextLength);
}

/** DPO step with a frozen reference: 2 rows per pair, policy forward + backward, reference forward. */
export function dpoStepFlops(shape: ThroughputGPTShape, pairs: number, rowTokens = shape.contextLength): number {
  return 4 * 2 * pairs * gptForwardFlops(shape, rowTokens);
}

/**
 * One PPO update: sampling `responseLength` tokens per rollout with the KV cache (2 N per token
 * plus attention over the cache, and the prompt's prefill), then reference and policy/value
 * forward passes over the full rows, then `numPpoEpochs` forward + backward passes.
 */
export function ppoUpdateFlops(
  shape: ThroughputGPTShape,
  ppo: { batchSize: number; promptLength: number; responseLength: number; numPpoEpochs: number },
): number {
  const promptTokens = ppo.promptLength + 1; // BOS
  const rowTokens = promptTokens + ppo.responseLength;
  const n = gptMatmulParameters(shape);
  let generation = promptTokens * 2 * n + shape.nLayer * 4 * promptTokens ** 2 * shape.dModel; // prefill
  for (let t = promptTokens; t < rowTokens; t++) generation += 2 * n + shape.nLayer * 4 * (t + 1) * shape.dModel;
  return ppo.batchSize * (generation + (2 + 3 * ppo.numPpoEpochs) * gptForwardFlops(shape, rowTokens));
}

/**
 * Diffusion-DPO step with a frozen reference: each pair's two images go through the policy
 * (forward + backward) and the reference (forward): 8 image-forwards' worth per pair.
 * @param denseMultiplyAdds - sum of every dense kernel's size (inputs x outputs) of the denoiser.
 */
export function diffusionDpoStepFlops(denseMultiplyAdds: number, pairs: number): number {
  return pairs * 2 * (3 + 1) * 2 * denseMultiplyAdds;
}

/**
 * One DDPO step without a KL term: `trajectories` sampled over `numSteps` DDIM steps, then
 * forward + backward on `trainedTimesteps` of them. Classifier-free guidance runs the conditional
 * and unconditional branches, 2 image-forwards per denoising call.
 * @param denseMultiplyAdds - sum of every dense kernel's size (inputs x outputs) of the denoiser.
 */
export function ddpoUpdateFlops(
  denseMultiplyAdds: number,
  trajectories: number,
  numSteps: number,
  trainedTimesteps: number,
): number {
  const guidedForward = 2 * 2 * denseMultiplyAdds;
  return trajectories * guidedForward * (numSteps + 3 * trainedTimesteps);
}
