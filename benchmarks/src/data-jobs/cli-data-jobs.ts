// Heavy modules (tfjs, the model packages, BullMQ) are imported by the actions only, so the
// CLI starts fast for every other command.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendRequest } from '@dpo-ts/core/backend';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { LabelerSpec } from './labelers.js';

const BACKENDS = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;

/** An integer >= 1 from the command line. */
export function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`an integer >= 1: got ${value}`);
  return count;
}

/** An integer >= 0 from the command line. */
export function parseSeed(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0) throw new InvalidArgumentError(`an integer >= 0: got ${value}`);
  return seed;
}

/** `afinn`, `vader`, or a reward model's directory. */
export function parseLabeler(value: string): LabelerSpec {
  if (value === 'afinn' || value === 'vader') return { kind: value };
  if (value.length === 0) throw new InvalidArgumentError('afinn, vader or a reward model directory');
  return { kind: 'reward-model', dir: value };
}

/** What every data-job command shares: the queue (or in-process), the result store, progress lines. */
export interface CommonOptions {
  readonly queue?: string;
  readonly results: string;
  readonly backend: BackendRequest;
  readonly shardSize: number;
}

/** The `runJobs` options of a data-job command: kinds, code version, store, the queue when given, progress lines. */
export async function runOptions(options: CommonOptions, print: (line: string) => void) {
  const { FileResultStore, formatJobProgress, queueConnection, redactUrl } = await import('@dpo-ts/queue');
  const { benchmarkCodeVersion } = await import('../queue/code-version.js');
  const { workerKinds } = await import('../queue/worker-kinds.js');
  if (options.queue !== undefined) queueConnection(options.queue, '--queue');
  const codeVersion = benchmarkCodeVersion();
  print(
    `dpo-ts jobs: ${options.queue === undefined ? 'in-process' : `jobs go to ${redactUrl(options.queue)}`} (code version ${codeVersion}); results kept in ${options.results}`,
  );
  return {
    kinds: workerKinds([]),
    codeVersion,
    store: new FileResultStore(options.results),
    ...(options.queue === undefined ? {} : { url: options.queue }),
    onProgress: (progress: Parameters<typeof formatJobProgress>[0]) => print(`shards: ${formatJobProgress(progress)}`),
    log: print,
  };
}

/** Adds the options every data-job command shares (`--queue`, `--results`, `--backend`, `--shard-size`). */
export const common = (command: Command): Command =>
  command
    .option('--queue <url>', 'run the shards as jobs on this Redis for `dpo-ts worker`s (default: in-process)')
    .option('--results <dir>', 'where shard results are kept (a rerun resumes)', join('out', 'job-results'))
    .addOption(new Option('--backend <name>', 'tfjs backend here and on the workers').choices(BACKENDS).default('auto'))
    .option('--shard-size <n>', 'pairs or prompts per job', parseCount, 64);

/** The options of the sampling commands (`pairs`, `best-of-n`, `eval-samples`). */
interface SamplingCommandOptions extends CommonOptions {
  readonly model: string;
  /** Read from the file by {@link samplingJobOptions}: the path on the command line. */
  readonly prompts: string;
  readonly labeler: LabelerSpec;
  readonly out: string;
  readonly samplesPerPrompt: number;
  readonly maxNewTokens: number;
  readonly batchSize: number;
  readonly seed: number;
}

const sampling = (command: Command, samplesHelp: string): Command =>
  command
    .requiredOption('--model <dir>', 'the policy that samples, saved by an lm trainer')
    .requiredOption('--prompts <file>', 'prompts, one per line')
    .requiredOption('--labeler <name>', 'afinn, vader, or the directory of a saved reward model', parseLabeler)
    .option('--samples-per-prompt <n>', samplesHelp, parseCount, 2)
    .option('--max-new-tokens <n>', 'tokens per completion', parseCount, 32)
    .option('--batch-size <n>', 'rows per generate call (shard size x samples must be a multiple)', parseCount, 64)
    .option('--seed <n>', 'sampling seed', parseSeed, 0);

async function samplingJobOptions(options: SamplingCommandOptions, print: (line: string) => void) {
  const prompts = (await readFile(options.prompts, 'utf8')).split('\n').filter((line) => line.trim().length > 0);
  return {
    ...(await runOptions(options, print)),
    modelDir: options.model,
    prompts,
    samplesPerPrompt: options.samplesPerPrompt,
    seed: options.seed,
    batchSize: options.batchSize,
    generation: { maxNewTokens: options.maxNewTokens },
    labeler: options.labeler,
    backend: options.backend,
    shardSize: options.shardSize,
  };
}

/** A run config given as a JSON file (`--config`), untyped as `JSON.parse` returns it: the precompute validates it. */
async function readJsonFile(file: string): Promise<ReturnType<typeof JSON.parse>> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** The closing line of a reference-score precompute (lm or diffusion). */
async function referenceScoresLine(
  summary: { computed: number; shards: number; reused: number; status: string },
  started: number,
  cache: string,
): Promise<string> {
  const { formatDuration } = await import('@dpo-ts/core/training');
  return `reference scores: ${summary.computed} pairs computed in ${summary.shards} shards, ${summary.reused} reused (cache ${summary.status}) in ${formatDuration((performance.now() - started) / 1000)} -> ${cache}`;
}

async function writeJsonLines(file: string, rows: readonly unknown[]): Promise<void> {
  await writeFile(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}

/**
 * Adds `dpo-ts jobs reference-scores`, `diffusion-reference-scores`, `pairs`, `best-of-n` and `eval-samples` to the program: the data jobs of
 * docs/queue.md from the command line, on a queue with `--queue` or in-process.
 * @returns the `jobs` command, for the commands defined elsewhere (`image-pairs`).
 */
export function addDataJobCommands(program: Command, print: (line: string) => void): Command {
  const jobs = program.command('jobs').description('data jobs, sharded, in-process or on a queue (see docs/queue.md)');
  common(
    jobs
      .command('reference-scores')
      .description("fill an lm DPO run's reference-score cache (its referenceCacheFile) from sharded jobs")
      .requiredOption('--model <dir>', 'the reference, saved by an lm trainer (readable by every worker)')
      .requiredOption('--train <file>', 'train pairs, preference JSONL (readable by every worker)')
      .option('--eval <file>', 'eval pairs, when the DPO run has an eval set')
      .option('--config <file>', "the DPO run's config as JSON (layout, scoreReduction, precomputeRefBatchSize)")
      .requiredOption('--cache <file>', "the cache file (the DPO run's referenceCacheFile)"),
  ).action(
    async (
      options: CommonOptions & { model: string; train: string; eval?: string; config?: string; cache: string },
    ) => {
      const { precomputeLMReferenceScores } = await import('./lm-reference-precompute.js');
      const started = performance.now();
      const summary = await precomputeLMReferenceScores({
        ...(await runOptions(options, print)),
        modelDir: options.model,
        trainFile: options.train,
        ...(options.eval === undefined ? {} : { evalFile: options.eval }),
        ...(options.config === undefined ? {} : { config: await readJsonFile(options.config) }),
        cacheFile: options.cache,
        shardSize: options.shardSize,
        backend: options.backend,
      });
      print(await referenceScoresLine(summary, started, options.cache));
    },
  );
  common(
    jobs
      .command('diffusion-reference-scores')
      .description("fill a Diffusion-DPO run's reference-score cache (its referenceCacheFile) from sharded jobs")
      .requiredOption('--model <dir>', 'the reference, saved by a diffusion trainer (readable by every worker)')
      .requiredOption('--train <file>', 'train pairs, image preference JSONL (readable by every worker)')
      .option(
        '--config <file>',
        "the Diffusion-DPO run's config as JSON (seed, cfgDropProb, scoreScale, precomputeRefBatchSize)",
      )
      .requiredOption('--cache <file>', "the cache file (the Diffusion-DPO run's referenceCacheFile)"),
  ).action(async (options: CommonOptions & { model: string; train: string; config?: string; cache: string }) => {
    const { precomputeDiffusionReferenceScores } = await import('./diffusion-reference-precompute.js');
    const started = performance.now();
    const summary = await precomputeDiffusionReferenceScores({
      ...(await runOptions(options, print)),
      modelDir: options.model,
      trainFile: options.train,
      ...(options.config === undefined ? {} : { config: await readJsonFile(options.config) }),
      cacheFile: options.cache,
      shardSize: options.shardSize,
      backend: options.backend,
    });
    print(await referenceScoresLine(summary, started, options.cache));
  });
  common(
    sampling(
      jobs
        .command('pairs')
        .description('sample completions of a saved lm model and label them into preference pairs (AI feedback)')
        .requiredOption('--out <file>', 'the pairs, preference JSONL'),
      'completions per prompt (best vs worst)',
    ),
  ).action(async (options: SamplingCommandOptions) => {
    const { writePreferenceJsonl } = await import('@dpo-ts/core/data');
    const { sampleLabeledPairs } = await import('./lm-sampling-jobs.js');
    const result = await sampleLabeledPairs(await samplingJobOptions(options, print));
    await writePreferenceJsonl(options.out, result.pairs);
    print(
      `pairs: ${result.pairs.length} kept, ${result.skipped} prompts skipped, ${result.sampled} completions sampled -> ${options.out}`,
    );
  });
  common(
    sampling(
      jobs
        .command('best-of-n')
        .description('best-of-N: sample N completions per prompt and keep the one the labeler scores highest')
        .requiredOption(
          '--out <file>',
          'JSON Lines, one per prompt: {prompt, completion, reward, finished} or {prompt, best: null}',
        ),
      'N: completions per prompt',
    ),
  ).action(async (options: SamplingCommandOptions) => {
    const { bestOfN } = await import('./lm-sampling-jobs.js');
    const best = await bestOfN(await samplingJobOptions(options, print));
    await writeJsonLines(
      options.out,
      best.map((entry, i) => entry ?? { prompt: options.prompts[i], best: null }),
    );
    const kept = best.filter((entry) => entry !== null);
    const mean = kept.reduce((total, entry) => total + entry.reward, 0) / Math.max(1, kept.length);
    print(
      `best-of-${options.samplesPerPrompt}: ${kept.length} of ${best.length} prompts, mean reward ${mean.toFixed(4)} -> ${options.out}`,
    );
  });
  common(
    sampling(
      jobs
        .command('eval-samples')
        .description('evaluation samples: sample completions per prompt and label every one')
        .requiredOption(
          '--out <file>',
          'JSON Lines, one per prompt: {prompt, samples: [{completion, reward, finished}]}',
        ),
      'completions per prompt',
    ),
  ).action(async (options: SamplingCommandOptions) => {
    const { sampleForEvaluation } = await import('./lm-sampling-jobs.js');
    const perPrompt = await sampleForEvaluation(await samplingJobOptions(options, print));
    await writeJsonLines(options.out, perPrompt);
    const rewards = perPrompt.flatMap((entry) => entry.samples.map((sample) => sample.reward));
    const mean = rewards.reduce((total, reward) => total + reward, 0) / Math.max(1, rewards.length);
    print(
      `eval samples: ${rewards.length} for ${perPrompt.length} prompts, mean reward ${mean.toFixed(4)} -> ${options.out}`,
    );
  });
  return jobs;
}
