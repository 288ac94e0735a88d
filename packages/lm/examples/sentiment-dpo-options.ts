import { parseArgs } from 'node:util';
import type { BackendRequest } from '@dpo-ts/core/backend';

/** Every knob of the sentiment example; `--quick` picks the small preset, flags override it. */
export interface ExampleOptions {
  readonly backend: BackendRequest | undefined;
  readonly quick: boolean;
  readonly out: string;
  readonly seed: number;
  readonly dModel: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly contextLength: number;
  /** Brown texts used for pre-training (500 = all). */
  readonly brownTexts: number;
  readonly pretrainSteps: number;
  readonly sftSteps: number;
  readonly batchSize: number;
  /** Prompts (review openings) whose samples become preference pairs. */
  readonly pairPrompts: number;
  readonly samplesPerPrompt: number;
  readonly maxNewTokens: number;
  readonly dpoSteps: number;
  readonly dpoBatchSize: number;
  readonly beta: number;
  readonly dpoLearningRate: number;
  /** Held-out prompts for the before/after comparison. */
  readonly evalPrompts: number;
}

const QUICK = {
  dModel: 64,
  nLayer: 3,
  nHead: 4,
  contextLength: 64,
  brownTexts: 120,
  pretrainSteps: 120,
  sftSteps: 140,
  batchSize: 32,
  pairPrompts: 800,
  samplesPerPrompt: 5,
  maxNewTokens: 40,
  dpoSteps: 60,
  dpoBatchSize: 16,
  beta: 0.1,
  dpoLearningRate: 3e-4,
  evalPrompts: 256,
};
const FULL = {
  dModel: 128,
  nLayer: 4,
  nHead: 4,
  contextLength: 64,
  brownTexts: 500,
  pretrainSteps: 1000,
  sftSteps: 400,
  batchSize: 32,
  pairPrompts: 2000,
  samplesPerPrompt: 4,
  maxNewTokens: 40,
  dpoSteps: 300,
  dpoBatchSize: 16,
  beta: 0.1,
  dpoLearningRate: 2e-4,
  evalPrompts: 500,
};

const USAGE = `Usage: node dist/examples/sentiment-dpo.js [--quick] [options]

Pre-trains a character GPT on the Brown corpus, fine-tunes it on UCI review sentences,
samples preference pairs labelled by the AFINN sentiment lexicon, trains DPO, and compares
policy and reference samples. --quick runs in minutes on 2 CPU cores (wasm).

  --backend <name>          auto | wasm | cpu | webgpu | tensorflow (default: $DPO_TS_BACKEND,
                            else auto: tfjs-node if installed, else wasm)
  --quick                   small preset (~7 min on 2 cores); without it, a larger preset
                            (d 128, 4 layers; ~1.5 h on 2 cores)
  --out <dir>               results directory (default runs/sentiment-dpo)
  --seed <n>                data split, sampling and init seed (default 1)
  --d-model, --layers, --heads, --context   model shape
  --brown-texts <n>         Brown texts for pre-training (of 500)
  --pretrain-steps, --sft-steps, --dpo-steps, --batch-size, --dpo-batch-size
  --pair-prompts <n>        prompts sampled for pairs; --samples-per-prompt <n>
  --beta <x>, --dpo-lr <x>, --eval-prompts <n>, --max-new-tokens <n>
  --help`;

/** Parses `process.argv`; prints usage and exits on `--help`. */
export function parseExampleOptions(argv: readonly string[]): ExampleOptions {
  const { values } = parseArgs({
    args: argv.slice(),
    options: {
      backend: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'runs/sentiment-dpo' },
      seed: { type: 'string', default: '1' },
      'd-model': { type: 'string' },
      layers: { type: 'string' },
      heads: { type: 'string' },
      context: { type: 'string' },
      'brown-texts': { type: 'string' },
      'pretrain-steps': { type: 'string' },
      'sft-steps': { type: 'string' },
      'batch-size': { type: 'string' },
      'pair-prompts': { type: 'string' },
      'samples-per-prompt': { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'dpo-steps': { type: 'string' },
      'dpo-batch-size': { type: 'string' },
      beta: { type: 'string' },
      'dpo-lr': { type: 'string' },
      'eval-prompts': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const preset = values.quick ? QUICK : FULL;
  const number = (flag: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new Error(`--${flag} must be a number: got ${JSON.stringify(value)}`);
    return parsed;
  };
  return {
    backend: values.backend as BackendRequest | undefined,
    quick: values.quick,
    out: values.out,
    seed: number('seed', values.seed, 1),
    dModel: number('d-model', values['d-model'], preset.dModel),
    nLayer: number('layers', values.layers, preset.nLayer),
    nHead: number('heads', values.heads, preset.nHead),
    contextLength: number('context', values.context, preset.contextLength),
    brownTexts: number('brown-texts', values['brown-texts'], preset.brownTexts),
    pretrainSteps: number('pretrain-steps', values['pretrain-steps'], preset.pretrainSteps),
    sftSteps: number('sft-steps', values['sft-steps'], preset.sftSteps),
    batchSize: number('batch-size', values['batch-size'], preset.batchSize),
    pairPrompts: number('pair-prompts', values['pair-prompts'], preset.pairPrompts),
    samplesPerPrompt: number('samples-per-prompt', values['samples-per-prompt'], preset.samplesPerPrompt),
    maxNewTokens: number('max-new-tokens', values['max-new-tokens'], preset.maxNewTokens),
    dpoSteps: number('dpo-steps', values['dpo-steps'], preset.dpoSteps),
    dpoBatchSize: number('dpo-batch-size', values['dpo-batch-size'], preset.dpoBatchSize),
    beta: number('beta', values.beta, preset.beta),
    dpoLearningRate: number('dpo-lr', values['dpo-lr'], preset.dpoLearningRate),
    evalPrompts: number('eval-prompts', values['eval-prompts'], preset.evalPrompts),
  };
}
