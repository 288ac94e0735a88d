import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@dpo-ts/core';

/**
 * A batch of rollouts laid out for scoring and PPO updates, as plain typed arrays (row-major):
 * each row is the left-padded prompt (width P) followed by the response (R steps, PAD after
 * EOS). The model input is the first `L = P + R - 1` tokens: the logits at positions
 * `P - 1 .. P + R - 2` score response tokens `0 .. R - 1` (TRL's `logits[:, context_length - 1 : -1]`),
 * and the value of the state before response token t is read at position `P - 1 + t`.
 */
export interface RolloutLayout {
  /** B: rows (prompt-completion sequences) in the rollout. */
  readonly batchSize: number;
  /** P: the longest prompt; shorter ones are left-padded. */
  readonly promptWidth: number;
  /** R: response steps (the longest response). */
  readonly responseLength: number;
  /** L = P + R - 1: model input length. */
  readonly inputLength: number;
  /** int32 `[B, L]`. */
  readonly inputIds: Int32Array;
  /** float32 `[B, L]`: 0 on prompt padding, 1 elsewhere. */
  readonly attentionMask: Float32Array;
  /** int32 `[B, L]`: `cumsum(mask) - 1`, 0 on padding (each row starts at position 0). */
  readonly positionIds: Int32Array;
  /** int32 `[B, R]`: the sampled tokens, PAD after a row's end. */
  readonly responseIds: Int32Array;
  /** float32 `[B, R]`: 1 up to and including a row's last sampled token (its EOS), else 0. */
  readonly responseMask: Float32Array;
  /** Valid response tokens per row (each >= 1). */
  readonly responseLengths: readonly number[];
}

/**
 * Lays out prompts (token ids, BOS included) and sampled responses (`generate`'s `tokenIds`
 * and `mask`) as a {@link RolloutLayout}.
 */
export function layoutRollout(
  prompts: readonly (readonly number[])[],
  responses: { readonly tokenIds: readonly (readonly number[])[]; readonly mask: readonly (readonly number[])[] },
  padTokenId: number,
): RolloutLayout {
  const B = prompts.length;
  if (B === 0) throw new InvalidArgumentError('prompts', 'a non-empty array', prompts);
  if (responses.tokenIds.length !== B || responses.mask.length !== B) {
    throw new InvalidArgumentError('responses', `${B} rows, one per prompt`, `${responses.tokenIds.length} rows`);
  }
  const P = Math.max(...prompts.map((prompt) => prompt.length));
  const R = Math.max(...responses.tokenIds.map((row) => row.length));
  if (P < 1 || R < 1)
    throw new InvalidArgumentError('prompts/responses', 'at least one prompt token and one response step', { P, R });
  const L = P + R - 1;
  const inputIds = new Int32Array(B * L).fill(padTokenId);
  const attentionMask = new Float32Array(B * L);
  const positionIds = new Int32Array(B * L);
  const responseIds = new Int32Array(B * R).fill(padTokenId);
  const responseMask = new Float32Array(B * R);
  const responseLengths: number[] = [];
  for (let b = 0; b < B; b++) {
    const prompt = prompts[b]!;
    const tokens = responses.tokenIds[b]!;
    const mask = responses.mask[b]!;
    const row = [
      ...new Array<number>(P - prompt.length).fill(padTokenId),
      ...prompt,
      ...tokens,
      ...new Array<number>(R - tokens.length).fill(padTokenId),
    ];
    let length = 0;
    for (let t = 0; t < R; t++) {
      responseIds[b * R + t] = row[P + t]!;
      if ((mask[t] ?? 0) > 0) {
        responseMask[b * R + t] = 1;
        length = t + 1;
      }
    }
    if (length === 0) throw new InvalidArgumentError(`responses.mask[${b}]`, 'at least one sampled token', mask);
    responseLengths.push(length);
    let position = 0;
    for (let i = 0; i < L; i++) {
      const real = i >= P - prompt.length;
      inputIds[b * L + i] = row[i]!;
      attentionMask[b * L + i] = real ? 1 : 0;
      positionIds[b * L + i] = real ? position++ : 0;
    }
  }
  return {
    batchSize: B,
    promptWidth: P,
    responseLength: R,
    inputLength: L,
    inputIds,
    attentionMask,
    positionIds,
    responseIds,
    responseMask,
    responseLengths,
  };
}

/** The model inputs of some rows of a {@link RolloutLayout}, as tensors. */
export type RolloutTensors = {
  /** int32 `[b, L]`. */
  readonly inputIds: tf.Tensor2D;
  /** float32 `[b, L]`. */
  readonly attentionMask: tf.Tensor2D;
  /** int32 `[b, L]`. */
  readonly positionIds: tf.Tensor2D;
  /** int32 `[b, R]`. */
  readonly responseIds: tf.Tensor2D;
  /** float32 `[b, R]`. */
  readonly responseMask: tf.Tensor2D;
};

/**
 * Tensors of `rows` of a layout (all rows when omitted), in the order given. New tensors; the
 * caller disposes them (or creates them inside `tf.tidy`).
 */
export function rolloutTensors(layout: RolloutLayout, rows?: readonly number[]): RolloutTensors {
  const selected = rows ?? Array.from({ length: layout.batchSize }, (_, i) => i);
  const { inputLength: L, responseLength: R } = layout;
  return {
    inputIds: tf.tensor2d(pickRows(layout.inputIds, selected, L), [selected.length, L], 'int32'),
    attentionMask: tf.tensor2d(pickRows(layout.attentionMask, selected, L), [selected.length, L], 'float32'),
    positionIds: tf.tensor2d(pickRows(layout.positionIds, selected, L), [selected.length, L], 'int32'),
    responseIds: tf.tensor2d(pickRows(layout.responseIds, selected, R), [selected.length, R], 'int32'),
    responseMask: tf.tensor2d(pickRows(layout.responseMask, selected, R), [selected.length, R], 'float32'),
  };
}

/** Rows of a row-major `[*, width]` array, copied in the order of `rows`. */
export function pickRows<T extends Float32Array | Int32Array>(values: T, rows: readonly number[], width: number): T {
  const out = new (values.constructor as new (length: number) => T)(rows.length * width);
  rows.forEach((row, i) => {
    out.set(values.subarray(row * width, (row + 1) * width), i * width);
  });
  return out;
}

/**
 * The rows `rows` of a layout as a layout of their own, with the same widths P, R and L (so a
 * model sees exactly the inputs it would see in the full batch): the micro-batches the policy
 * updates hand to worker threads as plain typed arrays.
 */
export function layoutRows(layout: RolloutLayout, rows: readonly number[]): RolloutLayout {
  const { inputLength: L, responseLength: R } = layout;
  return {
    batchSize: rows.length,
    promptWidth: layout.promptWidth,
    responseLength: R,
    inputLength: L,
    inputIds: pickRows(layout.inputIds, rows, L),
    attentionMask: pickRows(layout.attentionMask, rows, L),
    positionIds: pickRows(layout.positionIds, rows, L),
    responseIds: pickRows(layout.responseIds, rows, R),
    responseMask: pickRows(layout.responseMask, rows, R),
    responseLengths: rows.map((row) => layout.responseLengths[row]!),
  };
}
