import { beforeAll, describe, expect, it } from 'vitest';
import { loadBaseball1987 } from './baseball-fixture.test-helper.js';
import { bradleyTerryFit } from './bradley-terry-fit.js';
import type { PairwiseComparison } from './pairwise-comparisons.js';

// Published values: summary(baseballModel1) and summary(baseballModel2) in the BradleyTerry2
// 1.1-2 vignette (Turner and Firth), pp. 9-10, which reproduce Agresti (2002) §10.6, p. 438.
const VIGNETTE_MODEL_1 = {
  estimates: {
    Boston: 1.1077,
    Cleveland: 0.6839,
    Detroit: 1.4364,
    Milwaukee: 1.5814,
    'New York': 1.2476,
    Toronto: 1.2945,
  },
  standardErrors: {
    Boston: 0.3339,
    Cleveland: 0.3319,
    Detroit: 0.3396,
    Milwaukee: 0.3433,
    'New York': 0.3359,
    Toronto: 0.3367,
  },
  deviance: 44.053,
  degreesOfFreedom: 36,
  aic: 140.52,
};
const VIGNETTE_MODEL_2 = {
  estimates: {
    Boston: 1.1438,
    Cleveland: 0.7047,
    Detroit: 1.4754,
    Milwaukee: 1.6196,
    'New York': 1.2813,
    Toronto: 1.3271,
  },
  standardErrors: {
    Boston: 0.3378,
    Cleveland: 0.335,
    Detroit: 0.3446,
    Milwaukee: 0.3474,
    'New York': 0.3404,
    Toronto: 0.3403,
  },
  home: { estimate: 0.3023, standardError: 0.1309 },
  deviance: 38.643,
  degreesOfFreedom: 35,
};

/**
 * The binomial log-likelihood kernel written out independently of the implementation:
 * sum of w log sigmoid(eta) + l log sigmoid(-eta), with lambda[reference] = 0.
 */
function independentLogLikelihood(
  data: readonly PairwiseComparison[],
  free: readonly string[],
  theta: readonly number[],
  withHome: boolean,
): number {
  const lambda = (item: string): number => (free.includes(item) ? (theta[free.indexOf(item)] ?? 0) : 0);
  const delta = withHome ? (theta[free.length] ?? 0) : 0;
  let total = 0;
  for (const row of data) {
    const eta = lambda(row.home) - lambda(row.away) + delta;
    total += -row.homeWins * Math.log1p(Math.exp(-eta)) - row.awayWins * Math.log1p(Math.exp(eta));
  }
  return total;
}

/** Central second differences: H[a][b] ~ (f(+a+b) - f(+a-b) - f(-a+b) + f(-a-b)) / (4 h^2). */
function numericalHessian(f: (theta: number[]) => number, theta: readonly number[], h = 1e-4): number[][] {
  const shifted = (a: number, da: number, b: number, db: number): number => {
    const x = [...theta];
    x[a] = (x[a] ?? 0) + da;
    x[b] = (x[b] ?? 0) + db;
    return f(x);
  };
  return theta.map((_, a) =>
    theta.map(
      (__, b) =>
        (shifted(a, h, b, h) - shifted(a, h, b, -h) - shifted(a, -h, b, h) + shifted(a, -h, b, -h)) / (4 * h * h),
    ),
  );
}

/** Gauss-Jordan inverse with partial pivoting (independent of the Cholesky code under test). */
function gaussJordanInverse(matrix: readonly (readonly number[])[]): number[][] {
  const n = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const scale = a[col]![col]!;
    a[col] = a[col]!.map((v) => v / scale);
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r]![col]!;
      a[r] = a[r]!.map((v, k) => v - factor * a[col]![k]!);
    }
  }
  return a.map((row) => row.slice(n));
}

describe('bradleyTerryFit on the 1987 baseball data (Agresti 2002 §10.6)', () => {
  let data: PairwiseComparison[];
  beforeAll(async () => {
    data = await loadBaseball1987();
  });

  it('reproduces the published estimates, standard errors and deviance without home advantage', () => {
    const fit = bradleyTerryFit(data, { referenceItem: 'Baltimore' });
    expect(fit.referenceItem).toBe('Baltimore');
    expect(fit.coefficients.Baltimore).toBe(0);
    for (const [team, estimate] of Object.entries(VIGNETTE_MODEL_1.estimates)) {
      expect(fit.coefficients[team]).toBeCloseTo(estimate, 3);
      expect(Math.abs(fit.coefficients[team]! - estimate)).toBeLessThan(1e-4); // published to 4 dp
      expect(Math.abs(fit.standardErrors[team]! - VIGNETTE_MODEL_1.standardErrors[team as 'Boston'])).toBeLessThan(
        1e-4,
      );
    }
    expect(fit.deviance).toBeCloseTo(VIGNETTE_MODEL_1.deviance, 3);
    expect(fit.degreesOfFreedom).toBe(VIGNETTE_MODEL_1.degreesOfFreedom);
    expect(fit.aic).toBeCloseTo(VIGNETTE_MODEL_1.aic, 2);
    expect(fit.homeAdvantage).toBeUndefined();
    expect(fit.ties).toBeUndefined();
    // Default reference: first alphabetically, Baltimore, as BradleyTerry2's factor levels.
    expect(bradleyTerryFit(data).coefficients).toEqual(fit.coefficients);
  });

  it('reproduces the home-advantage model: delta = 0.3023 (SE 0.1309), deviance 38.643 on 35 df', () => {
    const fit = bradleyTerryFit(data, { homeAdvantage: true });
    expect(Math.abs(fit.homeAdvantage!.estimate - VIGNETTE_MODEL_2.home.estimate)).toBeLessThan(1e-4);
    expect(Math.abs(fit.homeAdvantage!.standardError - VIGNETTE_MODEL_2.home.standardError)).toBeLessThan(1e-4);
    for (const [team, estimate] of Object.entries(VIGNETTE_MODEL_2.estimates)) {
      expect(Math.abs(fit.coefficients[team]! - estimate)).toBeLessThan(1e-4);
      expect(Math.abs(fit.standardErrors[team]! - VIGNETTE_MODEL_2.standardErrors[team as 'Boston'])).toBeLessThan(
        1e-4,
      );
    }
    expect(fit.deviance).toBeCloseTo(VIGNETTE_MODEL_2.deviance, 3);
    expect(fit.degreesOfFreedom).toBe(VIGNETTE_MODEL_2.degreesOfFreedom);
    expect(fit.parameterNames.at(-1)).toBe('homeAdvantage');
  });

  it.each([false, true])(
    'standard errors match a finite-difference Hessian of an independent log-likelihood (home %s)',
    (withHome) => {
      const fit = bradleyTerryFit(data, { homeAdvantage: withHome });
      const free = fit.items.filter((item) => item !== fit.referenceItem);
      const theta = [
        ...free.map((item) => fit.coefficients[item]!),
        ...(withHome ? [fit.homeAdvantage!.estimate] : []),
      ];
      const hessian = numericalHessian((x) => independentLogLikelihood(data, free, x, withHome), theta);
      const covariance = gaussJordanInverse(hessian.map((row) => row.map((v) => -v)));
      free.forEach((item, k) => {
        expect(fit.standardErrors[item]).toBeCloseTo(Math.sqrt(covariance[k]![k]!), 6);
      });
      if (withHome)
        expect(fit.homeAdvantage!.standardError).toBeCloseTo(Math.sqrt(covariance[free.length]![free.length]!), 6);
      // Off-diagonal covariances too.
      expect(fit.covariance[0]![1]).toBeCloseTo(covariance[0]![1]!, 6);
    },
  );

  it('reports the log-likelihood as R logLik(glm) does and increases it at every Newton step', () => {
    const fit = bradleyTerryFit(data);
    expect(fit.logLikelihood).toBeCloseTo(-64.2593005, 6); // logLik(baseballModel1), R 4.2.2
    const history = fit.logLikelihoodHistory;
    expect(history).toHaveLength(fit.iterations + 1);
    for (let k = 1; k < history.length; k++) expect(history[k]!).toBeGreaterThanOrEqual(history[k - 1]!);
    expect(history.at(-1)).toBe(fit.logLikelihood);
    expect(fit.iterations).toBeLessThanOrEqual(8);
  });

  it('another reference item shifts every strength by a constant and keeps differences and deviance', () => {
    const byBaltimore = bradleyTerryFit(data);
    const byToronto = bradleyTerryFit(data, { referenceItem: 'Toronto' });
    expect(byToronto.coefficients.Toronto).toBe(0);
    expect(byToronto.standardErrors.Toronto).toBe(0);
    const shift = byBaltimore.coefficients.Toronto!;
    for (const item of byBaltimore.items) {
      expect(byToronto.coefficients[item]).toBeCloseTo(byBaltimore.coefficients[item]! - shift, 9);
    }
    expect(byToronto.deviance).toBeCloseTo(byBaltimore.deviance, 9);
    // SE of Baltimore relative to Toronto = SE of Toronto relative to Baltimore.
    expect(byToronto.standardErrors.Baltimore).toBeCloseTo(byBaltimore.standardErrors.Toronto!, 9);
  });
});

describe('bradleyTerryFit on hand-checked examples', () => {
  it('two items: lambda_A - lambda_B = log(w / l) with SE sqrt(1/w + 1/l), a saturated fit', () => {
    const fit = bradleyTerryFit([{ home: 'A', away: 'B', homeWins: 7, awayWins: 3 }]);
    expect(fit.referenceItem).toBe('A');
    expect(fit.coefficients.B).toBeCloseTo(-Math.log(7 / 3), 10);
    expect(fit.standardErrors.B).toBeCloseTo(Math.sqrt(1 / 7 + 1 / 3), 10);
    expect(fit.deviance).toBeCloseTo(0, 10);
    expect(fit.degreesOfFreedom).toBe(0);
    // log C(10, 7) + 7 log 0.7 + 3 log 0.3
    expect(fit.logLikelihood).toBeCloseTo(Math.log(120) + 7 * Math.log(0.7) + 3 * Math.log(0.3), 10);
  });

  it('two items split over rows in both orientations pool to the same estimate; deviance is over rows', () => {
    const fit = bradleyTerryFit([
      { home: 'A', away: 'B', homeWins: 4, awayWins: 1 },
      { home: 'B', away: 'A', homeWins: 2, awayWins: 3 },
    ]);
    // A won 4 + 3 = 7, lost 1 + 2 = 3.
    expect(fit.coefficients.B).toBeCloseTo(-Math.log(7 / 3), 10);
    // glm deviance: 2 sum y log(y / (n p)) over the two rows, p_A = 0.7 in both.
    const expected =
      2 * (4 * Math.log(4 / 3.5) + 1 * Math.log(1 / 1.5) + 3 * Math.log(3 / 3.5) + 2 * Math.log(2 / 1.5));
    expect(fit.deviance).toBeCloseTo(expected, 10);
    expect(fit.degreesOfFreedom).toBe(1);
  });

  it('home advantage on a cycle: each home side won 3 of 4, so delta = log 3 and strengths are equal', () => {
    const fit = bradleyTerryFit(
      [
        { home: 'A', away: 'B', homeWins: 3, awayWins: 1 },
        { home: 'B', away: 'C', homeWins: 3, awayWins: 1 },
        { home: 'C', away: 'A', homeWins: 3, awayWins: 1 },
      ],
      { homeAdvantage: true },
    );
    expect(fit.homeAdvantage!.estimate).toBeCloseTo(Math.log(3), 10);
    expect(fit.coefficients.B).toBeCloseTo(0, 10);
    expect(fit.coefficients.C).toBeCloseTo(0, 10);
    // Delta's information is sum n p (1 - p) = 3 * 4 * 3/16 = 9/4 once the strengths are profiled
    // out; the strengths are orthogonal to delta here, so SE = 2/3.
    expect(fit.homeAdvantage!.standardError).toBeCloseTo(2 / 3, 10);
  });

  it('rows with no games are allowed and left out of the degrees of freedom', () => {
    const fit = bradleyTerryFit([
      { home: 'A', away: 'B', homeWins: 7, awayWins: 3 },
      { home: 'B', away: 'A', homeWins: 0, awayWins: 0 },
    ]);
    expect(fit.coefficients.B).toBeCloseTo(-Math.log(7 / 3), 10);
    expect(fit.degreesOfFreedom).toBe(0);
  });
});
