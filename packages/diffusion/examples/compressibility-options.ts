import { parseArgs } from 'node:util';
import type { BackendRequest } from '@dpo-ts/core/backend';
import { MNIST_MLP_CHECKPOINT } from '@dpo-ts/diffusion';

/** Every knob of the compressibility example; a preset picks the defaults, flags override them. */
export interface ExampleOptions {
  readonly backend: BackendRequest;
  readonly preset: 'smoke' | 'quick' | 'full';
  readonly out: string;
  readonly seed: number;
  /** Base checkpoint directory (saveDenoiser format); trained on MNIST first when missing. */
  readonly base: string;
  /** SFT steps when the base model has to be trained. */
  readonly baseSteps: number;
  /** Conditions sampled for pairs (two images each). */
  readonly pairs: number;
  /** Fraction of the pairs held out for evaluation. */
  readonly evalFraction: number;
  /** DDIM steps for pairs and comparison samples. */
  readonly samplingSteps: number;
  readonly dpoSteps: number;
  readonly batchSize: number;
  readonly beta: number;
  readonly learningRate: number;
  /** Samples per model in the before/after comparison. */
  readonly compareSamples: number;
  /** Images per condition when making pairs (best vs worst). */
  readonly samplesPerCondition: number;
  /** Also train the SFT-on-winners baseline (and SFT on losers, a control) with DPO's budget. */
  readonly baselines: boolean;
}

const PRESETS = {
  smoke: {
    baseSteps: 150,
    pairs: 400,
    samplingSteps: 10,
    dpoSteps: 20,
    batchSize: 16,
    beta: 5000,
    learningRate: 1e-5,
    compareSamples: 100,
    baselines: false,
  },
  quick: {
    baseSteps: 1500,
    pairs: 8000,
    samplingSteps: 10,
    dpoSteps: 300,
    batchSize: 16,
    beta: 5000,
    learningRate: 1e-5,
    compareSamples: 1000,
    baselines: true,
  },
  full: {
    baseSteps: 3000,
    pairs: 24000,
    samplingSteps: 10,
    dpoSteps: 900,
    batchSize: 16,
    beta: 5000,
    learningRate: 1e-5,
    compareSamples: 2000,
    baselines: true,
  },
} as const;

export const USAGE = `Usage: node dist/run/examples/compressibility-dpo.js [--quick | --smoke | --full] [options]

Aligns the MNIST diffusion model to JPEG compressibility with Diffusion-DPO: loads the base
checkpoint (or trains one), samples two digits per condition and prefers the smaller JPEG,
trains Diffusion-DPO, then compares reference and aligned samples drawn from the same noise.

  --quick (default)       ~3-5 min on 2 CPU cores (wasm) with the committed base checkpoint
  --smoke                 < 1 min, for CI: tiny numbers, checks the pipeline only
  --full                  ~15 min
  --out <dir>             results directory (default runs/compressibility-dpo)
  --base <dir>            base checkpoint (default: the committed checkpoints/mnist-mlp; trained when missing)
  --base-steps <n>        SFT steps when training the base model
  --pairs <n>             conditions sampled for pairs (2 images each)
  --eval-fraction <x>     pairs held out for evaluation (default 0.1)
  --sampling-steps <n>    DDIM steps for pairs and comparisons
  --dpo-steps <n>, --batch-size <n>, --beta <x>, --lr <x>
  --compare-samples <n>   samples per model in the before/after comparison
  --samples-per-condition <k>  images per condition; pairs are best vs worst (default 2)
  --no-baselines          skip the SFT-on-winners baseline and its SFT-on-losers control
  --seed <n>              (default 0)   --backend <name>  wasm (default) | cpu | webgpu | tensorflow | auto
  --help`;

/** Parses `argv` (without node and script) over the chosen preset. */
export function parseExampleOptions(argv: readonly string[]): ExampleOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      out: { type: 'string', default: 'runs/compressibility-dpo' },
      base: { type: 'string', default: MNIST_MLP_CHECKPOINT },
      backend: { type: 'string', default: 'wasm' },
      seed: { type: 'string', default: '0' },
      'base-steps': { type: 'string' },
      pairs: { type: 'string' },
      'eval-fraction': { type: 'string', default: '0.1' },
      'sampling-steps': { type: 'string' },
      'dpo-steps': { type: 'string' },
      'batch-size': { type: 'string' },
      beta: { type: 'string' },
      lr: { type: 'string' },
      'compare-samples': { type: 'string' },
      'samples-per-condition': { type: 'string', default: '2' },
      'no-baselines': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const preset = values.smoke ? 'smoke' : values.full ? 'full' : 'quick';
  const p = PRESETS[preset];
  const number = (value: string | undefined, fallback: number, name: string): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number: got ${value}`);
    return parsed;
  };
  return {
    backend: values.backend as BackendRequest,
    preset,
    out: values.out,
    seed: number(values.seed, 0, 'seed'),
    base: values.base,
    baseSteps: number(values['base-steps'], p.baseSteps, 'base-steps'),
    pairs: number(values.pairs, p.pairs, 'pairs'),
    evalFraction: number(values['eval-fraction'], 0.1, 'eval-fraction'),
    samplingSteps: number(values['sampling-steps'], p.samplingSteps, 'sampling-steps'),
    dpoSteps: number(values['dpo-steps'], p.dpoSteps, 'dpo-steps'),
    batchSize: number(values['batch-size'], p.batchSize, 'batch-size'),
    beta: number(values.beta, p.beta, 'beta'),
    learningRate: number(values.lr, p.learningRate, 'lr'),
    compareSamples: number(values['compare-samples'], p.compareSamples, 'compare-samples'),
    samplesPerCondition: number(values['samples-per-condition'], 2, 'samples-per-condition'),
    baselines: p.baselines && !values['no-baselines'],
  };
}
