import type { Benchmark } from '../harness/benchmark.js';
import { runSentimentExperiment } from './experiment-run.js';

export { SENTIMENT_EXPERIMENT_CONFIGS, type SentimentExperimentConfig } from './experiment-config.js';
export { runSentimentExperiment, defaultBaseModelDir } from './experiment-run.js';
export { experimentMethods, type ExperimentMethod } from './method-registry.js';

/**
 * The DPO paper's controlled-sentiment experiment (Rafailov et al. 2023, Sec. 6.1, Fig. 2 left)
 * at CPU scale, as an experiment a skeptic can check: from the committed pretrained base (lm's
 * `models/base-en`, or any folder `loadBaseModel` reads), per seed a fresh split, an SFT stage
 * on review sentences, one labeler (a bag-of-n-grams classifier) that makes every label, the
 * same label budget for every method, a validation sweep per method, and on test prompts the
 * gain over SFT on the labeler and on two oracles that never label (VADER, AFINN) with
 * bootstrap CIs, win rates, quality guards and the gaming check.
 */
export const sentimentFrontierBenchmark: Benchmark = {
  name: 'sentiment-frontier',
  title:
    'Controlled sentiment: labeler and oracle gains over SFT vs KL (DPO, IPO, PPO, Preferred-FT, Unlikelihood, best-of-N)',
  description:
    'From the committed pretrained base GPT (byte-level BPE), each seed fine-tunes it on UCI review sentences (SFT stage), ' +
    'labels 4 SFT samples of each training prompt with a bag-of-n-grams sentiment classifier (the labeler: the only source ' +
    "of labels, the same budget for every method), sweeps each method's learning rate and knob on validation prompts, and " +
    'measures the chosen setting on test prompts: gain over SFT on the labeler, VADER and AFINN with 95% bootstrap CIs, ' +
    'per-prompt win rates, KL from SFT, quality guards (base NLL, real-word rate, distinct-n, length, EOS) and the levers ' +
    'that move the labeler.',
  // Quick: 2.1 CPU minutes measured (one wasm thread). Full: estimated from quick's parts (20 preference
  // trainings, 8 PPO runs of 64 updates, 40 evaluations per seed, 5 seeds), not run yet.
  expectedMinutes: { smoke: 1, quick: 3, full: 450 },
  run: (context) => runSentimentExperiment(context),
};
