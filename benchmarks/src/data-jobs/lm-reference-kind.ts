import { DataFormatError, SCORE_REDUCTIONS, type ScoreReduction } from '@dpo-ts/core';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import {
  LMPreferenceScorer,
  buildDPOBatch,
  loadLMPreferenceJsonl,
  loadLanguageModel,
  tokenizePreferenceDataset,
  type PreferenceLayout,
  type TruncationMode,
} from '@dpo-ts/lm';
import type { JobKind, ReferenceShardResult } from '@dpo-ts/queue';
import { PayloadFields } from './payload-fields.js';
import {
  type ReferenceSegment,
  readPairScores,
  validateReferenceSegments,
  yieldToEventLoop,
} from './reference-segments.js';

/** Name of the job kind that scores a shard of LM preference pairs with a saved reference. */
export const LM_REFERENCE_KIND = 'reference-scores/lm';

/** A shard of an LM reference precompute. */
export interface LMReferencePayload {
  /** A directory written by an lm trainer's `save(dir)` (or `saveLanguageModel`): the reference and its tokenizer. */
  readonly modelDir: string;
  /** The DPO config's truncation layout (`maxCompletionLength` null for no limit). */
  readonly layout: Omit<PreferenceLayout, 'maxCompletionLength'> & { readonly maxCompletionLength: number | null };
  /** The DPO config's `scoreReduction`. */
  readonly reduction: ScoreReduction;
  /** The shard's pairs, split by split, in dataset order (train before eval). */
  readonly segments: readonly ReferenceSegment[];
  /** The cache keys the producer expects for the shard's pairs, in order (checked by the worker). */
  readonly keys: readonly string[];
  /** Pairs per reference forward pass. */
  readonly batchSize: number;
  readonly backend: BackendRequest;
}

const TRUNCATION_MODES: readonly TruncationMode[] = ['keep_end', 'keep_start'];

/** Checks an {@link LMReferencePayload} from the queue, naming the bad field. */
export function validateLMReferencePayload(payload: unknown): LMReferencePayload {
  const p = new PayloadFields(payload);
  p.string('modelDir');
  const layout = p.object('layout');
  layout.integer('maxLength', { min: 1 });
  layout.integer('maxPromptLength', { min: 1 });
  if (layout.raw('maxCompletionLength') !== null) layout.integer('maxCompletionLength', { min: 1 });
  layout.oneOf('truncationMode', TRUNCATION_MODES);
  p.oneOf('reduction', SCORE_REDUCTIONS);
  validateReferenceSegments(p);
  p.integer('batchSize', { min: 1 });
  p.backend();
  return payload as LMReferencePayload;
}

/** The {@link PreferenceLayout} of a payload. */
export function payloadLayout(layout: LMReferencePayload['layout']): PreferenceLayout {
  return { ...layout, maxCompletionLength: layout.maxCompletionLength ?? Number.POSITIVE_INFINITY };
}

/**
 * Scores a shard's pairs with the saved reference exactly as lm's `DPOTrainer` fills its cache:
 * the split's JSONL tokenised with the model's tokenizer and the config's layout (so the keys,
 * which hash the token ids, are the producer's: a worker whose files or tokenizer differ stops
 * with an error naming the first key that differs), then `batchSize` pairs per forward pass
 * of `LMPreferenceScorer` (`training: false`). Every tensor is freed, the model included.
 * @returns `[chosen, rejected]` log-probabilities per pair, in the shard's order.
 */
export async function scoreLMReferenceShard(payload: LMReferencePayload): Promise<[number, number][]> {
  const { model, tokenizer } = await loadLanguageModel(payload.modelDir);
  try {
    const scorer = new LMPreferenceScorer(model, { reduction: payload.reduction, trainable: false });
    const layout = payloadLayout(payload.layout);
    const scores: [number, number][] = [];
    for (const segment of payload.segments) {
      const records = await loadLMPreferenceJsonl(segment.file);
      const dataset = tokenizePreferenceDataset(records, tokenizer, layout, segment.split);
      for (let start = 0; start < segment.indices.length; start += payload.batchSize) {
        const batch = buildDPOBatch(dataset, segment.indices.slice(start, start + payload.batchSize), tokenizer);
        batch.keys.forEach((key, i) => {
          const expected = payload.keys[scores.length + i];
          if (key !== expected)
            throw new DataFormatError(
              segment.file,
              segment.indices[start + i]! + 1,
              `pair key ${key} differs from the producer's ${expected}: the worker reads other data or another tokenizer`,
            );
        });
        scores.push(...(await readPairScores(scorer, batch)));
        await yieldToEventLoop();
      }
    }
    return scores;
  } finally {
    model.dispose();
  }
}

/** The `reference-scores/lm` job kind: a shard of an LM reference precompute ({@link scoreLMReferenceShard}). */
export const lmReferenceKind: JobKind<LMReferencePayload, ReferenceShardResult> = {
  name: LM_REFERENCE_KIND,
  validate: validateLMReferencePayload,
  async run(payload) {
    await selectBackend({ backend: payload.backend, gradientOverrides: 'default', quiet: true });
    return { scores: await scoreLMReferenceShard(payload) };
  },
};
