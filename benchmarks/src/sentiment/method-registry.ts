import type { GPT, Tokenizer } from '@dpo-ts/lm';
import { computeRewardScores, type RewardSource, rewardModelScorer } from '@dpo-ts/rlhf';
import type { SequenceRewardModel } from '@dpo-ts/reward';
import type { ComputeCost } from './compute-cost.js';
import { trainDPOPolicy } from './dpo-method.js';
import { trainGroupPolicy, trainOnlineDPOPolicy } from './online-methods.js';
import { labelBudget, type SentimentExperimentConfig } from './experiment-config.js';
import type { MethodContext, SharedInput, TrainedPolicy } from './frontier-point.js';
import { trainPPOPolicy } from './ppo-method.js';
import type { GroundTruthReward } from './preference-pairs.js';
import { trainPreferredFTPolicy } from './preferred-ft-method.js';
import { trainUnlikelihoodPolicy } from './unlikelihood-method.js';
import type { TextPair } from './unlikelihood-trainer.js';

/** One point of a method's sweep: a learning rate and the method's own knob (beta, KL coefficient, alpha, N). */
export interface SweepSetting {
  readonly learningRate: number | null;
  readonly knob: number | null;
  /** The setting in words, e.g. `lr 1e-4, beta 0.1`. */
  readonly label: string;
}

/** What a seed gives every method: the SFT model (start and reference), its pairs, prompts and scorers. */
export interface MethodInput {
  readonly context: MethodContext<GPT, Tokenizer>;
  /** Labelled pairs (best vs worst of the SFT samples of each training prompt). */
  readonly pairs: { readonly train: readonly TextPair[]; readonly heldOut: readonly TextPair[] };
  readonly trainPrompts: readonly string[];
  readonly labeler: GroundTruthReward;
  /** The seed's Bradley-Terry reward model, trained on the pairs once on first use (the caller disposes it). */
  readonly rewardModel: () => Promise<SequenceRewardModel>;
  readonly config: SentimentExperimentConfig;
}

/** A best-of-N selector: N SFT samples per evaluation sample, the best by `scores` kept. */
export interface Selector {
  readonly n: number;
  readonly scores: (prompts: readonly string[], completions: readonly string[]) => Promise<readonly number[]>;
}

/** What running a method at one setting gives: a trained policy, or a selector over SFT samples. */
export type MethodOutcome =
  | ({ readonly kind: 'policy' } & TrainedPolicy<GPT>)
  | { readonly kind: 'selector'; readonly selector: Selector; readonly cost: ComputeCost };

/**
 * One row of the experiment: a method at its fixed settings, the sweep it gets (chosen on
 * validation prompts) and its label budget. Adding a trainer (RLOO, GRPO, online DPO) is one
 * more entry in {@link experimentMethods}: a name, a sweep and a `run` that calls it.
 */
export interface ExperimentMethod {
  readonly name: string;
  /** Labeler queries the method spends; `null` for the labeler oracle, which is not budgeted. */
  readonly labelQueries: number | null;
  readonly sweep: readonly SweepSetting[];
  readonly uses: readonly SharedInput[];
  run(input: MethodInput, setting: SweepSetting): Promise<MethodOutcome>;
}

/** The cross product of the shared learning rates and a knob's values, labelled. */
export function sweepGrid(learningRates: readonly number[], knobName: string | null, knobs: readonly number[]) {
  return learningRates.flatMap((learningRate) =>
    (knobName === null ? [null] : knobs).map(
      (knob): SweepSetting => ({
        learningRate,
        knob,
        label: knobName === null ? `lr ${learningRate}` : `lr ${learningRate}, ${knobName} ${knob}`,
      }),
    ),
  );
}

const lr = (setting: SweepSetting): number => setting.learningRate!;
const knob = (setting: SweepSetting): number => setting.knob!;

/**
 * Every method row of a run, in report order (SFT is measured apart, as the reference). Each
 * preference method spends the label budget through the pairs; PPO with the labeler as reward
 * gets as many rollouts as the pairs have labels (steps = budget / batch); PPO and best-of-N by
 * the reward model spend it through the reward model's pairs; best-of-N by the labeler is the
 * oracle frontier and spends labels at evaluation time, outside any budget.
 */
export function experimentMethods(config: SentimentExperimentConfig): ExperimentMethod[] {
  const budget = labelBudget(config);
  const m = config.methods;
  const steps = { steps: m.preference.steps, batchSize: m.preference.batchSize };
  const preferenceUses: readonly SharedInput[] = ['base model', 'preference pairs'];
  const rewardModelUses: readonly SharedInput[] = ['base model', 'preference pairs', 'reward model'];
  const ppoSteps = budget / m.ppoBatchSize;
  const ppoSettings = (setting: SweepSetting, totalSteps: number) => ({
    steps: totalSteps,
    batchSize: m.ppoBatchSize,
    learningRate: lr(setting),
    numPpoEpochs: m.ppoEpochs,
  });
  const policy = (trained: TrainedPolicy<GPT>): MethodOutcome => ({ kind: 'policy', ...trained });
  const onPolicySteps = budget / m.onPolicyBatchSize;
  const onPolicyRun = (input: MethodInput, setting: SweepSetting, name: string) => ({
    label: `${name} ${setting.label}`,
    prompts: input.trainPrompts,
    reward: (prompt: string, completion: string) => input.labeler(prompt, completion),
    steps: onPolicySteps,
    learningRate: lr(setting),
    beta: knob(setting),
    maxNewTokens: config.data.maxNewTokens,
  });
  const rows: ExperimentMethod[] = [
    ...m.dpoBetas.map(
      (beta): ExperimentMethod => ({
        name: `DPO beta ${beta}`,
        labelQueries: budget,
        sweep: sweepGrid(m.learningRates, 'beta', [beta]),
        uses: preferenceUses,
        run: async (input, setting) =>
          policy(await trainDPOPolicy(input.context, input.pairs, beta, { ...steps, learningRate: lr(setting) })),
      }),
    ),
    ...m.otherLosses.map(
      (lossType): ExperimentMethod => ({
        name: lossType === 'ipo' ? 'IPO' : lossType,
        labelQueries: budget,
        sweep: sweepGrid(m.learningRates, 'beta', m.otherLossBetas),
        uses: preferenceUses,
        run: async (input, setting) =>
          policy(
            await trainDPOPolicy(
              input.context,
              input.pairs,
              knob(setting),
              { ...steps, learningRate: lr(setting) },
              lossType,
            ),
          ),
      }),
    ),
    {
      name: 'PPO (labeler reward)',
      labelQueries: ppoSteps * m.ppoBatchSize,
      sweep: sweepGrid(m.learningRates, 'KL coef', m.ppoKlCoefs),
      uses: ['base model'],
      run: async (input, setting) => {
        const reward: RewardSource = (prompt, completion) => input.labeler(prompt, completion);
        return policy(
          await trainPPOPolicy(input.context, {
            label: `PPO-labeler ${setting.label}`,
            prompts: input.trainPrompts,
            reward,
            rewardModelForward: false,
            klCoef: knob(setting),
            config: ppoSettings(setting, ppoSteps),
            maxNewTokens: config.data.maxNewTokens,
          }),
        );
      },
    },
    {
      name: 'PPO (reward model)',
      labelQueries: budget,
      sweep: sweepGrid(m.learningRates, 'KL coef', m.ppoKlCoefs),
      uses: rewardModelUses,
      run: async (input, setting) =>
        policy(
          await trainPPOPolicy(input.context, {
            label: `PPO-RM ${setting.label}`,
            prompts: input.trainPrompts,
            reward: rewardModelScorer(await input.rewardModel(), input.context.tokenizer, { batchSize: 64 }),
            rewardModelForward: true,
            klCoef: knob(setting),
            config: ppoSettings(setting, m.ppoRewardModelSteps),
            maxNewTokens: config.data.maxNewTokens,
          }),
        ),
    },
    ...(['rloo', 'grpo'] as const).map(
      (kind): ExperimentMethod => ({
        name: kind.toUpperCase(),
        labelQueries: onPolicySteps * m.onPolicyBatchSize,
        sweep: sweepGrid(m.learningRates, 'KL coef', m.groupKlCoefs),
        uses: ['base model'],
        run: async (input, setting) =>
          policy(
            await trainGroupPolicy(input.context, kind, onPolicyRun(input, setting, kind.toUpperCase()), {
              numGenerations: m.numGenerations,
              completionsPerStep: m.onPolicyBatchSize,
            }),
          ),
      }),
    ),
    {
      name: 'Online DPO',
      labelQueries: onPolicySteps * m.onPolicyBatchSize,
      sweep: sweepGrid(m.learningRates, 'beta', m.onlineDpoBetas),
      uses: ['base model'],
      run: async (input, setting) =>
        policy(
          await trainOnlineDPOPolicy(input.context, onPolicyRun(input, setting, 'Online DPO'), m.onPolicyBatchSize / 2),
        ),
    },
    {
      name: 'Preferred-FT',
      labelQueries: budget,
      sweep: sweepGrid(m.learningRates, null, []),
      uses: preferenceUses,
      run: async (input, setting) =>
        policy(await trainPreferredFTPolicy(input.context, input.pairs.train, { ...steps, learningRate: lr(setting) })),
    },
    {
      name: 'Unlikelihood',
      labelQueries: budget,
      sweep: sweepGrid(m.learningRates, 'alpha', m.unlikelihoodAlphas),
      uses: preferenceUses,
      run: async (input, setting) =>
        policy(
          await trainUnlikelihoodPolicy(input.context, input.pairs.train, knob(setting), {
            ...steps,
            learningRate: lr(setting),
          }),
        ),
    },
    ...m.bestOfN.map(
      (n): ExperimentMethod => ({
        name: `Best-of-${n} (reward model)`,
        labelQueries: budget,
        sweep: [{ learningRate: null, knob: n, label: `N ${n}` }],
        uses: rewardModelUses,
        run: async (input) => {
          const scorer = rewardModelScorer(await input.rewardModel(), input.context.tokenizer, { batchSize: 64 });
          return selector(n, async (prompts, completions) =>
            computeRewardScores(scorer, { prompts, completions, finished: completions.map(() => true) }),
          );
        },
      }),
    ),
    ...m.bestOfN.map(
      (n): ExperimentMethod => ({
        name: `Best-of-${n} (labeler oracle)`,
        labelQueries: null,
        sweep: [{ learningRate: null, knob: n, label: `N ${n}` }],
        uses: ['base model'],
        run: async (input) =>
          selector(n, async (prompts, completions) => prompts.map((p, i) => input.labeler(p, completions[i]!))),
      }),
    ),
  ];
  return rows.filter((row) => m.include.some((name) => rowFamily(row.name) === name));
}

/** The family of a row name (`DPO beta 0.1` -> `DPO`, `Best-of-4 (reward model)` -> `Best-of-N (reward model)`). */
export function rowFamily(name: string): string {
  if (name.startsWith('DPO beta')) return 'DPO';
  return name.replace(/^Best-of-\d+/, 'Best-of-N');
}

function selector(n: number, scores: Selector['scores']): MethodOutcome {
  return {
    kind: 'selector',
    selector: { n, scores },
    cost: { wallSeconds: 0, forwardSequences: 0, backwardSequences: 0, sampledCompletions: 0, sampledTokens: 0 },
  };
}
