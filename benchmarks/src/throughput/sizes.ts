import type { BackendName } from '@dpo-ts/core/backend';
import type { BenchmarkMode } from '../harness/benchmark.js';

/** The GPT of the LM steps (lm's `GPTConfig` fields). */
export interface ThroughputGPTShape {
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly dModel: number;
  readonly nLayer: number;
  readonly nHead: number;
}

/** Every shape the throughput steps use in one mode. */
export interface ThroughputSizes {
  readonly gpt: ThroughputGPTShape;
  /** DPO: pairs per step; each pair is two rows of `contextLength` tokens. */
  readonly dpoPairs: number;
  /** SFT: rows of `contextLength` tokens per step. */
  readonly sftRows: number;
  /** PPO: rollouts per update, prompt characters, sampled tokens, PPO epochs. */
  readonly ppo: {
    readonly batchSize: number;
    readonly promptLength: number;
    readonly responseLength: number;
    readonly numPpoEpochs: number;
  };
  /** Diffusion-DPO: MLP denoiser width and layers (MNIST-sized images) and the batch sizes in pairs. */
  readonly diffusion: { readonly hiddenSize: number; readonly numLayers: number; readonly batches: readonly number[] };
  /**
   * Micro-batches per step (`gradientAccumulationSteps`) of the 1-vs-N-workers table: each step's
   * batch is split into this many, and the worker count is capped by it.
   */
  readonly microBatches: number;
}

/** The d 128 GPT of the wasm-training notes (0.81M parameters). */
export const GPT_D128_SHAPE: ThroughputGPTShape = {
  vocabSize: 96,
  contextLength: 64,
  dModel: 128,
  nLayer: 4,
  nHead: 4,
};

/** Shapes per mode: smoke is tiny (code paths only); quick and full measure the notes' shapes. */
export const THROUGHPUT_SIZES: Readonly<Record<BenchmarkMode, ThroughputSizes>> = {
  smoke: {
    gpt: { vocabSize: 96, contextLength: 32, dModel: 32, nLayer: 2, nHead: 2 },
    dpoPairs: 4,
    sftRows: 8,
    ppo: { batchSize: 4, promptLength: 8, responseLength: 8, numPpoEpochs: 1 },
    diffusion: { hiddenSize: 64, numLayers: 1, batches: [4] },
    microBatches: 2,
  },
  quick: {
    gpt: GPT_D128_SHAPE,
    dpoPairs: 16,
    sftRows: 32,
    ppo: { batchSize: 16, promptLength: 16, responseLength: 48, numPpoEpochs: 4 },
    diffusion: { hiddenSize: 256, numLayers: 3, batches: [16, 64] },
    microBatches: 4,
  },
  full: {
    gpt: GPT_D128_SHAPE,
    dpoPairs: 16,
    sftRows: 32,
    ppo: { batchSize: 16, promptLength: 16, responseLength: 48, numPpoEpochs: 4 },
    diffusion: { hiddenSize: 256, numLayers: 3, batches: [16, 64] },
    microBatches: 4,
  },
};

/**
 * The shapes a backend measures in a mode. cpu (pure JS, compute-bound, 20-40x slower than wasm)
 * gets smaller batches in quick mode, so that its one timed step takes a minute rather than
 * several: 2 DPO pairs, 4 SFT rows, 2 PPO rollouts, Diffusion-DPO at 16 pairs only. Per-token
 * and per-image rates stay comparable because cpu's per-op overhead is small next to its
 * arithmetic. Full mode measures every backend at the same shapes.
 */
export function sizesFor(mode: BenchmarkMode, backend: BackendName): ThroughputSizes {
  const sizes = THROUGHPUT_SIZES[mode];
  if (mode !== 'quick' || backend !== 'cpu') return sizes;
  return {
    ...sizes,
    dpoPairs: 2,
    sftRows: 4,
    ppo: { ...sizes.ppo, batchSize: 2 },
    diffusion: { ...sizes.diffusion, batches: [16] },
  };
}

/** The steps the benchmark times (DDPO in the worker-threads table only). */
export const THROUGHPUT_STEP_NAMES = ['dpo', 'sft', 'ppo', 'diffusion-dpo', 'ddpo'] as const;

/** The steps the benchmark times. */
export type ThroughputStepName = (typeof THROUGHPUT_STEP_NAMES)[number];

/** Untimed and timed repetitions of a step; 0 timed steps: skipped (with `skipReason`). */
export interface Repetitions {
  readonly warmup: number;
  readonly steps: number;
  readonly skipReason?: string;
}

/**
 * How often each step runs per backend and mode. wasm (and the GPU backends) get a warm-up and
 * several timed steps; cpu, 20-40x slower for training, gets one warm-up and one timed step of
 * the LM steps in quick mode (at {@link sizesFor}'s smaller batches) and one PPO update without
 * warm-up. A step's leak check needs a run before it (the first run may allocate the optimiser
 * state), so cpu's PPO update is not leak-checked in quick mode (wasm's is).
 */
export function repetitions(mode: BenchmarkMode, backend: BackendName, step: ThroughputStepName): Repetitions {
  if (mode === 'smoke') return { warmup: 1, steps: 1 };
  const slow = backend === 'cpu';
  if (mode === 'quick') {
    if (slow)
      return step === 'ppo'
        ? { warmup: 0, steps: 1 }
        : step === 'diffusion-dpo'
          ? { warmup: 1, steps: 2 }
          : { warmup: 1, steps: 1 };
    return step === 'ppo'
      ? { warmup: 1, steps: 1 }
      : step === 'diffusion-dpo'
        ? { warmup: 2, steps: 10 }
        : { warmup: 1, steps: 3 };
  }
  if (slow)
    return step === 'ppo'
      ? { warmup: 0, steps: 1 }
      : step === 'diffusion-dpo'
        ? { warmup: 1, steps: 10 }
        : { warmup: 1, steps: 3 };
  return step === 'ppo'
    ? { warmup: 1, steps: 5 }
    : step === 'diffusion-dpo'
      ? { warmup: 3, steps: 30 }
      : { warmup: 2, steps: 10 };
}

/**
 * Repetitions of a step in the 1-vs-N-workers table, from the per-backend `base`: three more
 * warm-up steps (the first pays for the pool's start-up; then every worker isolate warms its own
 * JIT on its share of the micro-batches: V8's helper threads spent ~200 CPU ms per DPO step with 2
 * workers at the second step, ~110 at the fourth to sixth and ~80 by the ninth, against ~35 for one
 * thread, measured 2026-12-03), and at least 5 timed steps where the base has 3 or more, so a
 * median is steadier. Every worker count gets the same.
 */
export function workerRepetitions(base: Repetitions): Repetitions {
  if (base.steps === 0) return base;
  return { ...base, warmup: base.warmup + 3, steps: base.steps >= 3 ? Math.max(base.steps, 5) : base.steps };
}
