import { InvalidArgumentError } from '@dpo-ts/core';
import { loadTrainedRewardModel } from '@dpo-ts/reward';
import { AFINN_ORACLE, VADER_ORACLE } from '../sentiment/oracles.js';
import { PayloadFields } from './payload-fields.js';

/**
 * Which labeler scores sampled completions, as JSON a job can carry:
 * - `afinn`: AFINN-165 valence per word of the completion (lexicon scorer, no model);
 * - `vader`: VADER's compound score of the completion, in [-1, 1] (rule-based scorer);
 * - `reward-model`: a Bradley-Terry reward model saved by `RewardTrainer.save(dir)` (any
 *   classifier-like scorer trained with @dpo-ts/reward), reading prompt + completion.
 */
export type LabelerSpec =
  | { readonly kind: 'afinn' }
  | { readonly kind: 'vader' }
  | { readonly kind: 'reward-model'; readonly dir: string };

/** Names of the labeler kinds. */
export const LABELER_KINDS = ['afinn', 'vader', 'reward-model'] as const;

/** A prompt and one sampled completion, as text. */
export interface LabeledText {
  readonly prompt: string;
  readonly completion: string;
}

/** A labeler, opened on a worker: scores texts, then frees its model (if any). */
export interface Labeler {
  /** One score per text, higher is better; plain numbers. */
  score(texts: readonly LabeledText[]): Promise<number[]>;
  /** Frees the labeler's model; a no-op for the lexicon scorers. */
  dispose(): void;
}

/**
 * Checks a {@link LabelerSpec} from a payload.
 * @throws InvalidArgumentError naming the bad field (`payload.labeler.kind`).
 */
export function validateLabelerSpec(value: unknown, name = 'payload.labeler'): LabelerSpec {
  const fields = new PayloadFields(value, name);
  if (fields.oneOf('kind', LABELER_KINDS) === 'reward-model') fields.string('dir');
  return value as LabelerSpec;
}

/** Opens the labeler of a spec (loads the reward model from its directory). The caller disposes it. */
export async function openLabeler(spec: LabelerSpec): Promise<Labeler> {
  switch (spec.kind) {
    case 'afinn':
      return { score: async (texts) => texts.map((t) => AFINN_ORACLE.score(t.completion)), dispose: () => {} };
    case 'vader':
      return { score: async (texts) => texts.map((t) => VADER_ORACLE.score(t.completion)), dispose: () => {} };
    case 'reward-model': {
      const { model, tokenizer } = await loadTrainedRewardModel(spec.dir);
      return {
        score: (texts) => model.scoreTexts(tokenizer, texts),
        dispose: () => model.dispose(),
      };
    }
    default:
      throw new InvalidArgumentError('labeler.kind', LABELER_KINDS.join(' | '), (spec as { kind: unknown }).kind);
  }
}
