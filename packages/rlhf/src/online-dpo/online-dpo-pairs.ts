import { InvalidArgumentError } from '@dpo-ts/core';

/**
 * A pairwise judge, TRL's `PairwiseJudge` for one prompt: which of two completions is better,
 * as the index 0 or 1 of the preferred one. Sync or async; called once per prompt and step.
 * @example
 * const judge: PairwiseJudge = (_prompt, [a, b]) => (a.length <= b.length ? 0 : 1); // prefers the shorter
 */
export type PairwiseJudge = (prompt: string, completions: readonly [string, string]) => number | Promise<number>;

/** Which rows of an online-DPO batch form each pair (pair i: rows i and B + i). */
export interface OnlinePairs {
  /** Row of the chosen completion of each pair, `[B]`. */
  readonly chosenRows: number[];
  /** Row of the rejected completion of each pair, `[B]`. */
  readonly rejectedRows: number[];
  /** Pairs whose two completions scored the same (the first completion is then chosen, as TRL). */
  readonly ties: number;
}

function pairsFromFirstPreferred(firstPreferred: readonly boolean[], ties: number): OnlinePairs {
  const B = firstPreferred.length;
  return {
    chosenRows: firstPreferred.map((first, i) => (first ? i : B + i)),
    rejectedRows: firstPreferred.map((first, i) => (first ? B + i : i)),
    ties,
  };
}

/**
 * Pairs from reward scores, as TRL's `OnlineDPOTrainer`: the batch holds two completions per
 * prompt, the first ones in rows `0 .. B - 1` and the second ones in rows `B .. 2B - 1` (the
 * prompts repeated twice); pair i is chosen = the higher-scoring of rows i and B + i. Ties go to
 * the first completion (TRL's `scores[:B] >= scores[B:]`); they are counted so a caller can see
 * how often the reward could not tell.
 * @param scores - `[2B]`, after any missing-EOS penalty.
 * @throws InvalidArgumentError for an odd or empty count or a non-finite score.
 */
export function pairsFromScores(scores: readonly number[]): OnlinePairs {
  if (scores.length === 0 || scores.length % 2 !== 0)
    throw new InvalidArgumentError('scores', 'an even, non-zero number of scores (two per prompt)', scores.length);
  const bad = scores.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s));
  if (bad >= 0) throw new InvalidArgumentError(`scores[${bad}]`, 'a finite number', scores[bad]);
  const B = scores.length / 2;
  const first = scores.slice(0, B);
  const second = scores.slice(B);
  return pairsFromFirstPreferred(
    first.map((s, i) => s >= second[i]!),
    first.filter((s, i) => s === second[i]).length,
  );
}

/**
 * Pairs from a judge, as TRL's `OnlineDPOTrainer` with `judge`: for each prompt the judge sees
 * `[first completion, second completion]` and returns the index of the one it prefers; the
 * first is chosen when it returns 0 (TRL's `ranks_of_first_completion == 0`).
 * @throws InvalidArgumentError naming the prompt when the judge returns anything but 0 or 1.
 */
export async function pairsFromJudge(
  judge: PairwiseJudge,
  prompts: readonly string[],
  completions: readonly string[],
): Promise<OnlinePairs> {
  const B = prompts.length;
  if (completions.length !== 2 * B)
    throw new InvalidArgumentError('completions', `two per prompt (${2 * B})`, completions.length);
  const verdicts = await Promise.all(prompts.map((prompt, i) => judge(prompt, [completions[i]!, completions[B + i]!])));
  verdicts.forEach((verdict, i) => {
    if (verdict !== 0 && verdict !== 1)
      throw new InvalidArgumentError(
        `judge verdict of prompt ${i}`,
        '0 or 1 (the index of the preferred completion)',
        verdict,
      );
  });
  return pairsFromFirstPreferred(
    verdicts.map((verdict) => verdict === 0),
    0,
  );
}
