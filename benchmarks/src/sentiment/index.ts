import type { Benchmark } from '../harness/benchmark.js';
import { runSentimentFrontier } from './frontier-run.js';

export { SENTIMENT_FRONTIER_CONFIGS, type SentimentFrontierConfig } from './frontier-config.js';
export { runSentimentFrontier } from './frontier-run.js';

/**
 * The DPO paper's controlled-sentiment experiment (Rafailov et al. 2023, Sec. 6.1, Fig. 2 left),
 * scaled down to CPU: from one SFT character model of review text, DPO at several betas, PPO
 * with the ground-truth reward and with a learned Bradley-Terry reward model, Preferred-FT,
 * Unlikelihood and best-of-N, each placed by its mean ground-truth reward (a sentiment
 * classifier trained here on UCI sentences) against its KL from the SFT model on held-out
 * review openings.
 */
export const sentimentFrontierBenchmark: Benchmark = {
  name: 'sentiment-frontier',
  title: 'Controlled sentiment: reward vs KL frontier (DPO, PPO, Preferred-FT, Unlikelihood, best-of-N)',
  description:
    "The DPO paper's IMDb experiment at CPU scale: a character GPT pre-trained on Brown and fine-tuned on UCI review sentences " +
    'continues review openings; a logistic-regression sentiment classifier (its logit) is the ground-truth reward; pairs are ' +
    'best vs worst of 4 SFT samples. Every method starts from the same SFT model and is placed by mean ground-truth reward ' +
    'against sequence-level KL(policy || SFT) on held-out prompts.',
  expectedMinutes: { smoke: 1, quick: 6, full: 100 },
  run: (context) => runSentimentFrontier(context),
};
