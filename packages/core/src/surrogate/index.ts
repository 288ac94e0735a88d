export type { PairScores } from './pair-scores.js';
export { type ScoreReduction, SCORE_REDUCTIONS } from './score-reduction.js';
export type { PreferenceScorer, ScoreContext, NamedVariables, Checkpointable } from './preference-scorer.js';
export { denoisingScore, DIFFUSION_SCORE_SCALE } from './denoising-score.js';
