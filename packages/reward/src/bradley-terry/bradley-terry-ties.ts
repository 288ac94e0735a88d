/**
 * Probabilities of the three outcomes of one comparison, from the first item's point of view.
 * They sum to 1.
 */
export interface PairwiseOutcomeProbabilities {
  /** P(first item beats second). */
  readonly win: number;
  /** P(tie); 0 in the plain Bradley-Terry model. */
  readonly tie: number;
  /** P(second item beats first). */
  readonly loss: number;
}

/**
 * Outcome probabilities of Davidson's tie model as a function of the linear predictor
 * eta = lambda_i - lambda_j (+ delta when i is at home) and log nu.
 *
 * With pi = exp(lambda), Davidson (1970) sets P(i wins) : P(j wins) : P(tie) =
 * pi_i : pi_j : nu * sqrt(pi_i * pi_j). Dividing through by sqrt(pi_i * pi_j):
 *
 *   P(win) = exp(eta/2) / D,  P(loss) = exp(-eta/2) / D,  P(tie) = nu / D,
 *   D = exp(eta/2) + exp(-eta/2) + nu,
 *
 * so the model depends on the difference of strengths only. `logNu = -Infinity` (nu = 0) gives
 * the plain Bradley-Terry model, P(win) = 1 / (1 + exp(-eta)). Computed in log space, so any
 * finite eta gives finite probabilities that sum to 1.
 *
 * @see Davidson, R. R. (1970). JASA 65(329), 317-328, Eq. 2.1.
 * @see Bradley, R. A. and Terry, M. E. (1952). Biometrika 39(3/4), 324-345.
 */
export function davidsonOutcomeProbabilities(eta: number, logNu: number): PairwiseOutcomeProbabilities {
  const { logWin, logLoss, logTie } = davidsonLogProbabilities(eta, logNu);
  return { win: Math.exp(logWin), tie: Math.exp(logTie), loss: Math.exp(logLoss) };
}

/** Log outcome probabilities of Davidson's model; see {@link davidsonOutcomeProbabilities}. */
export function davidsonLogProbabilities(
  eta: number,
  logNu: number,
): { logWin: number; logLoss: number; logTie: number } {
  const half = eta / 2;
  // log D by log-sum-exp: exp(eta/2) overflows for eta > ~1400.
  const m = Math.max(Math.abs(half), logNu);
  const logD = m + Math.log(Math.exp(half - m) + Math.exp(-half - m) + Math.exp(logNu - m));
  return { logWin: half - logD, logLoss: -half - logD, logTie: logNu - logD };
}

/**
 * One row's log-likelihood kernel and its first and second derivatives with respect to the
 * linear predictor eta and phi = log nu.
 */
export interface DavidsonRowTerms {
  /** w log P(win) + l log P(loss) + t log P(tie), without the multinomial coefficient. */
  readonly logLikelihood: number;
  readonly dEta: number;
  readonly dPhi: number;
  readonly dEtaEta: number;
  readonly dEtaPhi: number;
  readonly dPhiPhi: number;
}

/**
 * Log-likelihood of one row of counts (w wins of the first item, l losses, t ties) under
 * Davidson's model, with derivatives. With n = w + l + t and p = the outcome probabilities:
 *
 *   L            = w eta/2 - l eta/2 + t phi - n log D
 *   dL/deta      = (w - l)/2 - n (p_win - p_loss)/2
 *   dL/dphi      = t - n p_tie
 *   d2L/deta2    = -n (p_win p_loss + p_tie (p_win + p_loss)/4)
 *   d2L/deta dphi = n p_tie (p_win - p_loss)/2
 *   d2L/dphi2    = -n p_tie (p_win + p_loss)
 *
 * The second derivatives are written as sums of positive terms, not as 1/4 - (p_win - p_loss)^2/4,
 * which cancels catastrophically as |eta| grows. L is concave in (eta, phi) (log D is a
 * log-sum-exp of linear functions), so Newton directions always ascend.
 * With phi = -Infinity (no tie model) the tie terms vanish and dL/deta = w - n p_win,
 * d2L/deta2 = -n p_win (1 - p_win): the binomial logit model.
 */
export function davidsonRowTerms(
  wins: number,
  losses: number,
  ties: number,
  eta: number,
  phi: number,
): DavidsonRowTerms {
  const { logWin, logLoss, logTie } = davidsonLogProbabilities(eta, phi);
  const pWin = Math.exp(logWin);
  const pLoss = Math.exp(logLoss);
  const pTie = Math.exp(logTie);
  const n = wins + losses + ties;
  // Guard each term: 0 * log(0) must be 0, not NaN.
  const logLikelihood =
    (wins > 0 ? wins * logWin : 0) + (losses > 0 ? losses * logLoss : 0) + (ties > 0 ? ties * logTie : 0);
  return {
    logLikelihood,
    dEta: (wins - losses) / 2 - (n * (pWin - pLoss)) / 2,
    dPhi: ties - n * pTie,
    dEtaEta: -n * (pWin * pLoss + (pTie * (pWin + pLoss)) / 4),
    dEtaPhi: (n * pTie * (pWin - pLoss)) / 2,
    dPhiPhi: -n * pTie * (pWin + pLoss),
  };
}
