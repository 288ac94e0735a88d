import { InvalidArgumentError } from '@dpo-ts/core';
import { describe, expect, it } from 'vitest';
import { bradleyTerryFit } from './bradley-terry-fit.js';
import { davidsonOutcomeProbabilities, davidsonRowTerms } from './bradley-terry-ties.js';
import type { PairwiseComparison } from './pairwise-comparisons.js';

describe('davidsonOutcomeProbabilities', () => {
  it('reduces to the logistic Bradley-Terry probability at nu = 0', () => {
    for (const eta of [-3, -0.5, 0, 0.7, 4]) {
      const p = davidsonOutcomeProbabilities(eta, Number.NEGATIVE_INFINITY);
      expect(p.win).toBeCloseTo(1 / (1 + Math.exp(-eta)), 14);
      expect(p.tie).toBe(0);
      expect(p.win + p.loss).toBeCloseTo(1, 14);
    }
  });

  it('matches the definition pi_i : pi_j : nu sqrt(pi_i pi_j) and gives nu / (2 + nu) ties between equals', () => {
    const [lambdaI, lambdaJ, nu] = [0.8, -0.3, 0.6];
    const [piI, piJ] = [Math.exp(lambdaI), Math.exp(lambdaJ)];
    const total = piI + piJ + nu * Math.sqrt(piI * piJ);
    const p = davidsonOutcomeProbabilities(lambdaI - lambdaJ, Math.log(nu));
    expect(p.win).toBeCloseTo(piI / total, 14);
    expect(p.loss).toBeCloseTo(piJ / total, 14);
    expect(p.tie).toBeCloseTo((nu * Math.sqrt(piI * piJ)) / total, 14);
    expect(davidsonOutcomeProbabilities(0, Math.log(nu)).tie).toBeCloseTo(nu / (2 + nu), 14);
  });

  it('stays finite and normalised for huge margins', () => {
    for (const eta of [-5000, 5000]) {
      const p = davidsonOutcomeProbabilities(eta, Math.log(0.5));
      expect(Number.isFinite(p.win) && Number.isFinite(p.loss) && Number.isFinite(p.tie)).toBe(true);
      expect(p.win + p.loss + p.tie).toBeCloseTo(1, 14);
    }
  });
});

describe('davidsonRowTerms', () => {
  it('derivatives match finite differences of the log-likelihood', () => {
    const [w, l, t] = [5, 2, 3];
    const f = (eta: number, phi: number): number => davidsonRowTerms(w, l, t, eta, phi).logLikelihood;
    const h = 1e-5;
    for (const [eta, phi] of [
      [0.4, -0.7],
      [-2, 0.3],
      [6, -1],
    ] as const) {
      const terms = davidsonRowTerms(w, l, t, eta, phi);
      expect(terms.dEta).toBeCloseTo((f(eta + h, phi) - f(eta - h, phi)) / (2 * h), 7);
      expect(terms.dPhi).toBeCloseTo((f(eta, phi + h) - f(eta, phi - h)) / (2 * h), 7);
      const dEta = (e: number, p: number): number => davidsonRowTerms(w, l, t, e, p).dEta;
      const dPhi = (e: number, p: number): number => davidsonRowTerms(w, l, t, e, p).dPhi;
      expect(terms.dEtaEta).toBeCloseTo((dEta(eta + h, phi) - dEta(eta - h, phi)) / (2 * h), 7);
      expect(terms.dEtaPhi).toBeCloseTo((dEta(eta, phi + h) - dEta(eta, phi - h)) / (2 * h), 7);
      expect(terms.dEtaPhi).toBeCloseTo((dPhi(eta + h, phi) - dPhi(eta - h, phi)) / (2 * h), 7);
      expect(terms.dPhiPhi).toBeCloseTo((dPhi(eta, phi + h) - dPhi(eta, phi - h)) / (2 * h), 7);
    }
  });

  it('0 log 0 is 0: a row with no losses has a finite log-likelihood at any eta', () => {
    expect(davidsonRowTerms(4, 0, 0, 800, Number.NEGATIVE_INFINITY).logLikelihood).toBeCloseTo(0, 12);
    expect(Number.isNaN(davidsonRowTerms(4, 0, 0, 1, Number.NEGATIVE_INFINITY).dPhi)).toBe(false);
  });
});

describe('bradleyTerryFit with Davidson ties', () => {
  it('two items: closed form eta = log(w / l), nu = t / sqrt(w l), with delta-method standard errors', () => {
    // Two items and two parameters: the fit is the saturated multinomial, p = (w, l, t) / n.
    const [w, l, t] = [6, 3, 2];
    const fit = bradleyTerryFit([{ home: 'A', away: 'B', homeWins: w, awayWins: l, ties: t }], {
      tieModel: 'davidson',
    });
    expect(fit.tieModel).toBe('davidson');
    expect(fit.coefficients.B).toBeCloseTo(-Math.log(w / l), 10);
    expect(fit.ties!.nu).toBeCloseTo(t / Math.sqrt(w * l), 10);
    // Var(log p_w - log p_l) = 1/w + 1/l; Var(log p_t - (log p_w + log p_l)/2) = 1/t + 1/(4w) + 1/(4l).
    expect(fit.standardErrors.B).toBeCloseTo(Math.sqrt(1 / w + 1 / l), 10);
    expect(fit.ties!.logNu.standardError).toBeCloseTo(Math.sqrt(1 / t + 1 / (4 * w) + 1 / (4 * l)), 10);
    expect(fit.deviance).toBeCloseTo(0, 10);
    expect(fit.degreesOfFreedom).toBe(0); // 1 row x 2 free outcome probabilities - 2 parameters
    // log(11! / (6! 3! 2!)) + sum y log(y / n)
    const logCoefficient = Math.log(4620);
    expect(fit.logLikelihood).toBeCloseTo(
      logCoefficient + w * Math.log(w / 11) + l * Math.log(l / 11) + t * Math.log(t / 11),
      10,
    );
  });

  it('three equal items: all strengths 0 and nu = ties / wins per pair', () => {
    const row = (home: string, away: string): PairwiseComparison => ({ home, away, homeWins: 4, awayWins: 4, ties: 2 });
    const fit = bradleyTerryFit([row('A', 'B'), row('B', 'C'), row('C', 'A')], { tieModel: 'davidson' });
    expect(fit.coefficients.B).toBeCloseTo(0, 10);
    expect(fit.coefficients.C).toBeCloseTo(0, 10);
    // P(tie) = nu / (2 + nu) = 6 / 30 overall  =>  nu = 0.5.
    expect(fit.ties!.nu).toBeCloseTo(0.5, 10);
  });

  it('an unbalanced three-item example matches an independent optimiser', () => {
    // Reference values: R 4.2.2, optim(method = "BFGS", reltol = 1e-16) on the Davidson
    // log-likelihood written out directly, standard errors from optimHess (numerical Hessian).
    const data: PairwiseComparison[] = [
      { home: 'A', away: 'B', homeWins: 5, awayWins: 2, ties: 3 },
      { home: 'B', away: 'C', homeWins: 4, awayWins: 3, ties: 2 },
      { home: 'A', away: 'C', homeWins: 6, awayWins: 1, ties: 1 },
      { home: 'C', away: 'A', homeWins: 2, awayWins: 3, ties: 2 },
    ];
    const fit = bradleyTerryFit(data, { tieModel: 'davidson' });
    expect(fit.coefficients.B).toBeCloseTo(-0.835592540083, 6);
    expect(fit.coefficients.C).toBeCloseTo(-1.138569671421, 6);
    expect(fit.ties!.logNu.estimate).toBeCloseTo(-0.390496459901, 6);
    expect(fit.standardErrors.B).toBeCloseTo(0.6211886989, 5);
    expect(fit.standardErrors.C).toBeCloseTo(0.5766954955, 5);
    expect(fit.ties!.logNu.standardError).toBeCloseTo(0.4140863867, 5);
    expect(fit.degreesOfFreedom).toBe(4 * 2 - 3);
    const history = fit.logLikelihoodHistory;
    for (let k = 1; k < history.length; k++) expect(history[k]!).toBeGreaterThanOrEqual(history[k - 1]!);

    const withHome = bradleyTerryFit(data, { tieModel: 'davidson', homeAdvantage: true });
    expect(withHome.coefficients.B).toBeCloseTo(-0.741741004626, 6);
    expect(withHome.coefficients.C).toBeCloseTo(-0.946685914812, 6);
    expect(withHome.homeAdvantage!.estimate).toBeCloseTo(0.377459991113, 6);
    expect(withHome.ties!.logNu.estimate).toBeCloseTo(-0.37545998988, 6);
    expect(withHome.homeAdvantage!.standardError).toBeCloseTo(0.4564879708, 5);
    expect(withHome.parameterNames).toEqual(['item:B', 'item:C', 'homeAdvantage', 'logNu']);
  });

  it('halves steps where a full Newton step would lower the likelihood', () => {
    // With the full Newton step (no halving) the log-likelihood kernel goes
    // -28.54 -> -30.63 -> -38.76 before recovering: the start (overall tie rate, equal strengths)
    // is far from this MLE. Halving keeps every iteration non-decreasing.
    const data: PairwiseComparison[] = [
      { home: 'B', away: 'A', homeWins: 1, awayWins: 2, ties: 0 },
      { home: 'B', away: 'C', homeWins: 2, awayWins: 2, ties: 0 },
      { home: 'C', away: 'A', homeWins: 1, awayWins: 1, ties: 165 },
    ];
    const fit = bradleyTerryFit(data, { tieModel: 'davidson', homeAdvantage: true });
    const history = fit.logLikelihoodHistory;
    for (let k = 1; k < history.length; k++) expect(history[k]!).toBeGreaterThanOrEqual(history[k - 1]!);
    // Three rows, four parameters, six outcome degrees of freedom.
    expect(fit.degreesOfFreedom).toBe(2);
  });

  it('never drops ties silently: ties without the tie model are an error naming the option', () => {
    const data = [{ home: 'A', away: 'B', homeWins: 3, awayWins: 2, ties: 1 }];
    expect(() => bradleyTerryFit(data)).toThrow(InvalidArgumentError);
    expect(() => bradleyTerryFit(data)).toThrow(
      'options.tieModel must be "davidson" when the data contain ties: got "none" (the data contain 1 tie; ties are never dropped)',
    );
  });

  it('rejects the tie model when nu has no finite positive MLE', () => {
    expect(() =>
      bradleyTerryFit([{ home: 'A', away: 'B', homeWins: 3, awayWins: 2 }], { tieModel: 'davidson' }),
    ).toThrow(
      /options\.tieModel must be "none" unless the data contain both ties and decided games: got "davidson" \(0 of 5 games are ties/,
    );
    expect(() =>
      bradleyTerryFit([{ home: 'A', away: 'B', homeWins: 0, awayWins: 0, ties: 4 }], { tieModel: 'davidson' }),
    ).toThrow(/4 of 4 games are ties, so the maximum-likelihood nu is infinite/);
  });
});
