import { describe, expect, it } from 'vitest';
import { summarizeMethods, type MethodMeasurement } from './aggregate.js';
import { comparisonFindings, verdict } from './findings.js';
import { methodSpecs } from './methods.js';

const methods = methodSpecs({ betas: [2500, 5000] });
const compute = {
  trainSeconds: 20,
  pairSeconds: 5,
  imagesSampled: 8000,
  optimizerSteps: 225,
  batchSize: 16,
  forwardPasses: 1,
  backwardPasses: 1,
};

/** Base: reward -1.2, digit accuracy 0.85; one seed, within-seed standard error 0.02. */
function m(method: string, gain: number, winRate: number, digitAccuracy = 0.85, seed = 0): MethodMeasurement {
  return {
    reward: 'jpeg-compressibility',
    seed,
    method,
    meanReward: -1.2 + gain,
    baseMeanReward: -1.2,
    winRate,
    winRateStandardError: 0.02,
    digitAccuracy,
    baseDigitAccuracy: 0.85,
    compute,
    details: {},
  };
}

function findingsOf(measurements: MethodMeasurement[]): string[] {
  return comparisonFindings({
    rewardLabel: 'JPEG compressibility',
    rewardUnit: '-kB',
    methods,
    summaries: summarizeMethods(measurements),
    classifierAccuracy: 0.86,
    evalSamples: 500,
  });
}

describe('verdict', () => {
  it('needs the win rate two standard errors away from 1/2', () => {
    const s = (mean: number) => ({
      winRate: { mean, sd: 0, min: mean, max: mean, n: 1 },
      winRateStandardError: { mean: 0.02, sd: 0, min: 0.02, max: 0.02, n: 1 },
    });
    expect(verdict(s(0.55))).toBe('beats the base');
    expect(verdict(s(0.53))).toBe('is not clearly different from the base');
    expect(verdict(s(0.45))).toBe('is worse than the base');
  });
});

describe('comparisonFindings', () => {
  it('reports DPO per beta, DDPO with its sample count, and SFT gains that the control shares as self-distillation', () => {
    const findings = findingsOf([
      m('dpo-b2500', 0.004, 0.52),
      m('dpo-b5000', 0.009, 0.78),
      { ...m('ddpo', 0.012, 0.88), compute: { ...compute, imagesSampled: 1920 } },
      m('sft-winners', 0.055, 1.0),
      m('sft-losers', 0.046, 1.0),
    ]);
    expect(findings[0]).toContain('Diffusion-DPO beats the base at Diffusion-DPO β=5000 only');
    expect(findings[0]).toContain('Largest reward gain: Diffusion-DPO β=5000');
    expect(findings[1]).toContain('DDPO beats the base');
    expect(findings[1]).toContain('from 1920 sampled trajectories');
    expect(findings[1]).toContain('1.33x'); // 0.012 / 0.009
    expect(findings[2]).toContain('(winners minus losers) is +0.0090 -kB');
    expect(findings[2]).toContain('self-distillation');
    expect(findings[3]).toContain('no method lost more than 5.0 points');
    expect(findings[3]).toContain('largest change: Diffusion-DPO β=2500, +0.0 points');
    expect(findings[4]).toContain('One training seed');
  });

  it('says when no beta beats the base, when the control does not help, and flags lost digit accuracy', () => {
    const findings = findingsOf([
      m('dpo-b2500', 0.0, 0.5),
      m('dpo-b5000', -0.001, 0.49),
      m('ddpo', 0.05, 0.95, 0.6),
      m('sft-winners', 0.01, 0.7),
      m('sft-losers', -0.002, 0.4),
    ]);
    expect(findings[0]).toContain('does not clearly beat the base at any beta');
    expect(findings[2]).toContain('SFT on losers, the control, is worse than the base');
    expect(findings[2]).toContain('gains through the preference');
    expect(findings[3]).toContain('DDPO (-25.0 points');
    expect(findings[3]).toContain('lost more than 5.0 points');
    expect(findings[3]).toContain('reward hacking');
  });

  it('states the share the control gets when it is small, and says nothing of seeds when there are several', () => {
    const findings = findingsOf([
      m('sft-winners', 0.01, 0.7),
      m('sft-losers', 0.002, 0.55),
      m('sft-winners', 0.01, 0.7, 0.85, 1),
      m('sft-losers', 0.002, 0.55, 0.85, 1),
    ]);
    expect(findings[0]).toContain('The control gets 20% of SFT on winners');
    expect(findings.some((f) => f.includes('One training seed'))).toBe(false);
  });
});
