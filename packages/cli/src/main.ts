import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '@dpo-ts/core';
import { BACKEND_REQUESTS, selectBackend, type BackendRequest } from '@dpo-ts/core/backend';
import { Command, CommanderError, Option } from 'commander';
import { dispatchToBenchmarks } from './bench-dispatch.js';
import type { CliIO } from './cli-io.js';
import { trainDDPO } from './ddpo-train.js';
import { trainDiffusionModel } from './diffusion-train.js';
import { trainLanguageModel } from './lm-train.js';
import { IMAGE_REWARD_FUNCTIONS, LM_REWARD_FUNCTIONS } from './reward-functions.js';
import { trainPolicy } from './rl-train.js';
import { MODALITY_OF_KIND, parseRunConfig, RL_KINDS, TRAIN_KINDS, type TrainKind } from './run-config.js';
import { sampleCommand } from './sample-command.js';
import { applySetOverrides, parseSetArgument } from './set-overrides.js';

/** The commands this package runs itself; every other one goes to the benchmarks program. */
export const CLI_COMMANDS: readonly string[] = Object.freeze([
  'train',
  'sample',
  'help',
  '--help',
  '-h',
  '--version',
  '-V',
]);

/** `dpo-ts train` options, as commander parses them. */
interface TrainCommandOptions {
  readonly config: string;
  readonly set: string[];
  readonly resume: boolean;
  readonly out?: string;
  readonly backend?: BackendRequest;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const integer =
  (name: string) =>
  (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed)) throw new InvalidArgumentError(name, 'an integer', value);
    return parsed;
  };
const number =
  (name: string) =>
  (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed)) throw new InvalidArgumentError(name, 'a number', value);
    return parsed;
  };
const labels = (value: string, previous: number[]): number[] => [
  ...previous,
  ...value.split(',').map((part) => integer('--label')(part.trim())),
];

async function readRunConfigFile(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError('--config', 'a JSON file', file, (error as Error).message);
  }
}

async function train(kind: string, options: TrainCommandOptions, io: CliIO): Promise<void> {
  if (!(TRAIN_KINDS as readonly string[]).includes(kind))
    throw new InvalidArgumentError('<trainer>', `one of ${TRAIN_KINDS.join(', ')}`, kind);
  const trainKind = kind as TrainKind;
  const diffusion = MODALITY_OF_KIND[trainKind] === 'diffusion';
  const cwd = io.cwd ?? process.cwd();
  const file = isAbsolute(options.config) ? options.config : resolve(cwd, options.config);
  const raw = await readRunConfigFile(file);
  const overridden =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? applySetOverrides(raw as Record<string, unknown>, options.set.map(parseSetArgument))
      : raw;
  const config = parseRunConfig(overridden, {
    kind: trainKind,
    baseDir: dirname(file),
    cwd,
    ...(options.out === undefined ? {} : { out: options.out }),
    rewardFunctions: Object.keys(diffusion ? IMAGE_REWARD_FUNCTIONS : LM_REWARD_FUNCTIONS),
  });
  await selectBackend(options.backend === undefined ? {} : { backend: options.backend });
  if (trainKind === 'ddpo') await trainDDPO(config, io, options.resume);
  else if (RL_KINDS.includes(trainKind)) await trainPolicy(config, io, options.resume);
  else if (diffusion) await trainDiffusionModel(config, io, options.resume);
  else await trainLanguageModel(config, io, options.resume);
}

function buildProgram(io: CliIO): Command {
  const backend = new Option('--backend <name>', 'tfjs backend (default: DPO_TS_BACKEND or auto)').choices(
    BACKEND_REQUESTS as string[],
  );
  const program = new Command('dpo-ts')
    .description(
      'dpo-ts: train language and diffusion models on preference pairs (DPO and friends), sample from them, and ' +
        '(in the dpo-ts repository) run the benchmarks: dpo-ts bench --help',
    )
    .version(
      (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version,
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run with --help for usage)');
  program
    .command('train')
    .description(
      'train a model on your own data as run.json describes; checkpoints in <out>/checkpoints, model in <out>/model',
    )
    .argument('<trainer>', TRAIN_KINDS.join(' | '))
    .requiredOption('--config <file>', 'run config (JSON): model, data, training, out (RL kinds: reward)')
    .option('--set <key=value>', 'override a config field by dotted path, JSON value (repeatable)', collect, [])
    .option('--resume', 'continue from the newest checkpoint in <out>/checkpoints', false)
    .option('--out <dir>', 'run folder (default: the config\'s "out", else runs/<trainer>)')
    .addOption(backend)
    .action((kind: string, options: TrainCommandOptions) => train(kind, options, io));
  program
    .command('sample')
    .description(
      'print completions of a saved language model, or write a PNG grid of a saved diffusion or text-to-image model',
    )
    .requiredOption('--model <dir>', 'a folder written by dpo-ts train (<out>/model)')
    .option('--prompt <text>', 'lm: a prompt to complete (repeatable)', collect, [])
    .option('--prompts <file>', 'lm: a JSONL file of {"prompt": ...} lines')
    .option('--n <count>', 'samples per prompt (lm) or per label (diffusion)', integer('--n'), 1)
    .option('--max-new-tokens <count>', 'lm: tokens to generate at most', integer('--max-new-tokens'), 40)
    .option('--temperature <t>', 'sampling temperature (0: greedy)', number('--temperature'), 1)
    .option('--top-k <k>', 'lm: sample among the k most likely tokens (0: all)', integer('--top-k'), 0)
    .option('--seed <seed>', 'random seed: the same seed gives the same samples', integer('--seed'), 0)
    .option('--label <labels>', 'diffusion: class labels, comma-separated or repeated (default: all)', labels, [])
    .option('--caption <text>', 'text-to-image: a caption to draw, one row each (repeatable)', collect, [])
    .option('--out <file>', 'diffusion: the PNG grid to write', 'samples.png')
    .option('--steps <count>', 'diffusion: DDIM steps', integer('--steps'), 50)
    .option(
      '--guidance-scale <w>',
      'diffusion: classifier-free guidance scale (default: 1 for labels, 3 for captions)',
      number('--guidance-scale'),
    )
    .addOption(backend)
    .action(async (options) => {
      await selectBackend(options.backend === undefined ? {} : { backend: options.backend });
      await sampleCommand(options, io);
    });
  return program;
}

/**
 * The `dpo-ts` command line. `argv` is what follows the program name
 * (`['train', 'dpo', '--config', 'run.json']`). Runs `train` and `sample` itself and hands every
 * other command (`bench`, `list`, ...) to the benchmarks program (see `dispatchToBenchmarks`).
 * @returns the exit code: 0 on success, 1 for an error (printed as `dpo-ts: <message>` on
 *   stderr, naming the field, what it accepts and what it got), 2 for a usage error.
 * @example
 * process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const command = argv[0];
  if (command !== undefined && !CLI_COMMANDS.includes(command)) return dispatchToBenchmarks(argv, io);
  try {
    await buildProgram(io).parseAsync(['node', 'dpo-ts', ...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.stderr.write(`dpo-ts: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
