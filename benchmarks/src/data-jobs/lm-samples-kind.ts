import { requireBoolean, requireNumber } from '@dpo-ts/core';
import type { PreferenceRecordInput } from '@dpo-ts/core/data';
import { selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import { loadLanguageModel, sampleCompletions } from '@dpo-ts/lm';
import type { JobKind } from '@dpo-ts/queue';
import { type LabelerSpec, openLabeler, validateLabelerSpec } from './labelers.js';
import { PayloadFields } from './payload-fields.js';

/** What a sampling job returns per prompt: a pair (or null when skipped), the best sample, or every sample. */
export type LMSampleTask = 'pairs' | 'best-of-n' | 'evaluate';

/** The job kind of each task. */
export const LM_SAMPLE_KINDS: Readonly<Record<LMSampleTask, string>> = Object.freeze({
  pairs: 'pairs/lm',
  'best-of-n': 'best-of-n/lm',
  evaluate: 'eval-samples/lm',
});

/** Generation settings a job carries (lm's `generate` options that are JSON). */
export interface LMGenerationPayload {
  /** Most tokens sampled per completion (EOS included). */
  readonly maxNewTokens: number;
  /** Softmax temperature (0: greedy). @defaultValue 1 */
  readonly temperature?: number;
  /** Keep the k most likely tokens (0: all). @defaultValue 0 */
  readonly topK?: number;
  /** Nucleus sampling mass in (0, 1]. @defaultValue 1 */
  readonly topP?: number;
}

/** A shard of prompts to sample and label. */
export interface LMSamplePayload {
  /** A directory written by an lm trainer's `save(dir)`: the policy that samples. */
  readonly modelDir: string;
  /** The shard's prompts, in order. */
  readonly prompts: readonly string[];
  /** Completions per prompt (>= 2 for pairs). */
  readonly samplesPerPrompt: number;
  /**
   * Seed of the shard's first batch of `batchSize` rows (batch k gets `seed + k`, as lm's
   * `sampleCompletions`); the producer derives it from the run's seed and the shard's first
   * row, so the samples do not depend on how prompts were cut into shards or on the workers.
   */
  readonly seed: number;
  /** Rows per `generate` call. */
  readonly batchSize: number;
  readonly generation: LMGenerationPayload;
  readonly labeler: LabelerSpec;
  /** Pairs only: keep a pair when best - worst exceeds this. @defaultValue 0 */
  readonly minRewardGap?: number;
  /** Pairs and best-of-N: use only completions that ended with EOS. @defaultValue false */
  readonly requireFinished?: boolean;
  readonly backend: BackendRequest;
}

/** One labelled completion. */
export interface LabeledSample {
  readonly completion: string;
  readonly reward: number;
  readonly finished: boolean;
}

/** Per prompt of the shard, in order: a pair or null (`pairs`), the best sample or null (`best-of-n`), every sample (`evaluate`). */
export interface LMSampleResult {
  readonly perPrompt: readonly (PreferenceRecordInput | LabeledSample | readonly LabeledSample[] | null)[];
}

/** Checks an {@link LMSamplePayload} from the queue, naming the bad field. */
export function validateLMSamplePayload(payload: unknown, task: LMSampleTask): LMSamplePayload {
  const p = new PayloadFields(payload);
  p.string('modelDir');
  p.strings('prompts');
  p.integer('samplesPerPrompt', { min: task === 'pairs' ? 2 : 1 });
  p.integer('seed', { min: 0 });
  p.integer('batchSize', { min: 1 });
  const generation = p.object('generation');
  generation.integer('maxNewTokens', { min: 1 });
  const optional = (field: string, check: (value: unknown) => void) => {
    if (generation.raw(field) !== undefined) check(generation.raw(field));
  };
  optional('temperature', (v) => requireNumber('payload.generation.temperature', v, { min: 0 }));
  optional('topK', () => generation.integer('topK', { min: 0 }));
  optional('topP', (v) => requireNumber('payload.generation.topP', v, { min: 0, max: 1, exclusiveMin: true }));
  validateLabelerSpec(p.raw('labeler'));
  if (p.raw('minRewardGap') !== undefined) requireNumber('payload.minRewardGap', p.raw('minRewardGap'), { min: 0 });
  if (p.raw('requireFinished') !== undefined) requireBoolean('payload.requireFinished', p.raw('requireFinished'));
  p.backend();
  return payload as LMSamplePayload;
}

/**
 * Samples `samplesPerPrompt` completions per prompt with lm's `sampleCompletions` (prompts
 * repeated, `batchSize` rows per call, batch k seeded `seed + k`), labels every completion with
 * the labeler, and reduces each prompt's group: `pairs` pairs the first best with the first
 * worst (lm's `samplePreferencePairs` rule: null for a tie, a gap not above `minRewardGap` or
 * fewer than two usable samples), `best-of-n` keeps the first best, `evaluate` keeps all. Frees
 * the model and the labeler's model.
 */
export async function runLMSampleShard(payload: LMSamplePayload, task: LMSampleTask): Promise<LMSampleResult> {
  const { model, tokenizer } = await loadLanguageModel(payload.modelDir);
  const labeler = await openLabeler(payload.labeler);
  try {
    const n = payload.samplesPerPrompt;
    const repeated = payload.prompts.flatMap((prompt) => Array.from({ length: n }, () => prompt));
    const samples = await sampleCompletions(model, tokenizer, repeated, {
      ...payload.generation,
      seed: payload.seed,
      batchSize: payload.batchSize,
    });
    const rewards = await labeler.score(samples.map(({ prompt, completion }) => ({ prompt, completion })));
    const perPrompt = payload.prompts.map((prompt, p) => {
      const group: LabeledSample[] = samples.slice(p * n, (p + 1) * n).map((sample, i) => ({
        completion: sample.completion,
        reward: rewards[p * n + i]!,
        finished: sample.finished,
      }));
      if (task === 'evaluate') return group;
      const usable = group.filter((sample) => sample.finished || !(payload.requireFinished ?? false));
      if (usable.length === 0) return null;
      const best = usable.reduce((a, b) => (b.reward > a.reward ? b : a));
      if (task === 'best-of-n') return best;
      const worst = usable.reduce((a, b) => (b.reward < a.reward ? b : a));
      if (usable.length < 2 || !(best.reward - worst.reward > (payload.minRewardGap ?? 0))) return null;
      return {
        prompt,
        chosen: best.completion,
        rejected: worst.completion,
        extra: { score_chosen: best.reward, score_rejected: worst.reward },
      } satisfies PreferenceRecordInput;
    });
    return { perPrompt };
  } finally {
    labeler.dispose();
    model.dispose();
  }
}

/** The job kind of a sampling task ({@link runLMSampleShard}). */
export function lmSampleKind(task: LMSampleTask): JobKind<LMSamplePayload, LMSampleResult> {
  return {
    name: LM_SAMPLE_KINDS[task],
    validate: (payload) => validateLMSamplePayload(payload, task),
    async run(payload) {
      await selectBackend({ backend: payload.backend, gradientOverrides: 'default', quiet: true });
      return runLMSampleShard(payload, task);
    },
  };
}
