import { DataFormatError, InvalidArgumentError } from '@dpo-ts/core';
import { loadJsonl, loadPreferenceJsonl, type PreferenceRecord } from '@dpo-ts/core/data';
import { readSavedModelManifest } from '@dpo-ts/core/io';
import { CharTokenizer, DPOTrainer, GPT, loadBaseModel, SFTTrainer, type SFTRecord, type Tokenizer } from '@dpo-ts/lm';
import { RewardTrainer, SequenceRewardModel } from '@dpo-ts/reward';
import type { CliIO } from './cli-io.js';
import type { LMModelSource, RunConfig } from './run-config.js';
import { displayPath, runTrainer, type CliTrainer } from './train-run.js';
import { withRunConfigFieldNames } from './training-field-errors.js';

/** A language model to train, its tokenizer and a line saying where it came from. */
export interface StartingModel {
  readonly model: GPT;
  readonly tokenizer: Tokenizer;
  readonly description: string;
  /** A saved reward model to continue (reward runs only). */
  readonly rewardModel?: SequenceRewardModel;
}

/** Reads SFT records: `{"text": ...}` or `{"prompt": ..., "completion": ...}` per line. */
export function loadSFTJsonl(file: string): Promise<SFTRecord[]> {
  return loadJsonl(file, (object, location) => {
    if (typeof object.text === 'string' && object.prompt === undefined) return { text: object.text };
    if (typeof object.prompt === 'string' && typeof object.completion === 'string')
      return { prompt: object.prompt, completion: object.completion };
    throw new DataFormatError(
      location.file,
      location.line,
      'an SFT record must be {"text": string} or {"prompt": string, "completion": string}',
    );
  });
}

/**
 * The language model a run starts from (`model` of the run config): a base model, a saved
 * model (a reward model's backbone for a reward run) or a new GPT with a character tokenizer
 * of `texts()`. The caller disposes the model (the reward model, when there is one).
 */
export async function startingModel(
  source: LMModelSource,
  texts: () => string[],
  rewardRun: boolean,
  cwd: string,
): Promise<StartingModel> {
  if (source.from === 'base') {
    const { model, tokenizer, card } = await loadBaseModel(source.dir);
    return { model, tokenizer, description: `the base model ${card.name} (${card.parameters} parameters)` };
  }
  if (source.from === 'saved') {
    const manifest = await readSavedModelManifest(source.dir);
    const shown = displayPath(source.dir, cwd);
    if (rewardRun && manifest.modality === 'reward') {
      const saved = await RewardTrainer.load(source.dir);
      return {
        model: saved.model.backbone,
        tokenizer: saved.tokenizer,
        rewardModel: saved.model,
        description: `the reward model in ${shown} (step ${manifest.step})`,
      };
    }
    const saved = await SFTTrainer.load(source.dir);
    return {
      model: saved.model,
      tokenizer: saved.tokenizer,
      description: `the ${manifest.kind} model in ${shown} (step ${manifest.step})`,
    };
  }
  const tokenizer = CharTokenizer.fromCorpus(texts());
  const model = await withRunConfigFieldNames(
    'model.gpt',
    source.gpt,
    () => new GPT({ ...source.gpt, vocabSize: tokenizer.vocabSize }),
  );
  return {
    model,
    tokenizer,
    description: `a new GPT (${tokenizer.vocabSize}-character vocabulary from the training data)`,
  };
}

function preferenceTexts(records: readonly PreferenceRecord<string, string>[]): string[] {
  return records.flatMap((r) => [r.prompt, r.chosen, r.rejected]);
}

/** The trainer of `kind` on the loaded data, its config errors named `training.<field>`. */
async function createTrainer(
  config: RunConfig,
  start: StartingModel,
  data: { train: unknown[]; eval: unknown[] | undefined },
): Promise<CliTrainer> {
  // Checked field by field by the trainer's own resolve function (errors renamed `training.x`).
  const training = config.training as never;
  const { model, tokenizer } = start;
  const datasets = { trainDataset: data.train as never, evalDataset: data.eval as never };
  return withRunConfigFieldNames('training', config.training, (): Promise<CliTrainer> => {
    if (config.kind === 'sft') return SFTTrainer.create({ model, tokenizer, ...datasets, config: training });
    if (config.kind === 'dpo') return DPOTrainer.create({ model, tokenizer, ...datasets, config: training });
    if (config.kind === 'reward' && start.rewardModel !== undefined)
      return RewardTrainer.create({ model: start.rewardModel, tokenizer, ...datasets, config: training });
    throw new InvalidArgumentError('kind', '"sft", "dpo" or "reward"', config.kind);
  });
}

/**
 * `dpo-ts train sft|dpo|reward`: loads the data and the starting model, builds the trainer
 * (its config errors named `training.<field>`), trains with checkpoints and saves the model.
 * The model is disposed at the end, also when the trainer refuses its config.
 */
export async function trainLanguageModel(config: RunConfig, io: CliIO, resume: boolean): Promise<void> {
  const cwd = io.cwd ?? process.cwd();
  const source = config.model as LMModelSource;
  const sft = config.kind === 'sft';
  const load = (file: string): Promise<unknown[]> => (sft ? loadSFTJsonl(file) : loadPreferenceJsonl(file));
  const train = await load(config.data.train);
  const evalData = config.data.eval === undefined ? undefined : await load(config.data.eval);
  const texts = (): string[] =>
    sft
      ? (train as SFTRecord[]).flatMap((r) => ('text' in r ? [r.text] : [r.prompt, r.completion]))
      : preferenceTexts(train as PreferenceRecord<string, string>[]);
  let start = await startingModel(source, texts, config.kind === 'reward', cwd);
  if (config.kind === 'reward' && start.rewardModel === undefined)
    start = { ...start, rewardModel: new SequenceRewardModel(start.model) };
  let trainer: CliTrainer | undefined;
  try {
    trainer = await createTrainer(config, start, { train, eval: evalData });
    const count = `${train.length} ${sft ? 'records' : 'pairs'}`;
    const evalCount =
      config.data.eval === undefined ? '' : ` (+ evaluation data ${displayPath(config.data.eval, cwd)})`;
    io.stderr.write(
      `dpo-ts train ${config.kind}: ${count} from ${displayPath(config.data.train, cwd)}${evalCount}, starting from ${start.description}\n`,
    );
    await runTrainer(trainer, config, io, { resume, hasEval: config.data.eval !== undefined });
  } finally {
    trainer?.dispose();
    // A reward model owns its backbone.
    (start.rewardModel ?? start.model).dispose();
  }
}
