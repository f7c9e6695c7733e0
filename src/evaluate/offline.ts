/**
 * Offline (off-policy) evaluation: how well would a new policy have done on
 * decisions another policy made and logged? Estimators, for n logged
 * decisions (x_i, a_i, p_i = logging probability of a_i, r_i = reward) and
 * the new policy's probabilities pi(a | x):
 *
 *   weight  w_i  = pi(a_i | x_i) / p_i
 *   IPS          = mean(w_i r_i)                                     unbiased when the p_i are right
 *   SNIPS        = sum(w_i r_i) / sum(w_i)                           self-normalised: less variance, slightly biased
 *   DM           = mean(sum_a pi(a | x_i) q(x_i, a))                 direct method: as good as the reward model q
 *   DR           = mean(sum_a pi(a | x_i) q(x_i, a) + w_i (r_i - q(x_i, a_i)))
 *                  doubly robust: unbiased when either the p_i or q are right
 *
 * q is the policy's own expected reward per action when it gives one
 * (`expected`, e.g. an adaptive propensity), else a per-action mean reward
 * fitted on the log with 2-fold cross-fitting (decisions at even positions
 * are predicted from the odd ones and vice versa) and smoothing toward the
 * overall mean.
 *
 * Intervals: 'normal' (default) is mean +- z se with se = sd / sqrt(n) of the
 * per-decision terms (SNIPS: the delta method, sd(w_i (r_i - SNIPS)) /
 * (sqrt(n) mean(w))); 'bootstrap' is the percentile interval of B resamples
 * drawn with a seeded generator (reproducible).
 */
import { NextbestError } from '../errors.js';
import type { LoggedDecision } from './log.js';

/** What a policy says about one logged decision. */
export interface PolicyOutput {
  /** A deterministic choice (null: no action). */
  action?: string | null;
  /** Or a distribution over actions (probabilities summing to at most 1; the rest is "no action"). */
  probabilities?: Record<string, number>;
  /** The policy's expected reward per action (e.g. its propensity), used as the DR/DM reward model. */
  expected?: Record<string, number>;
}

export type Policy = (decision: LoggedDecision) => PolicyOutput;

export interface EvaluateOptions {
  /** Confidence level of the intervals (default 0.95). */
  confidence?: number;
  /** 'normal' (default) or 'bootstrap'. */
  interval?: 'normal' | 'bootstrap';
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Seed of the bootstrap (default 1). */
  seed?: number;
}

export interface Estimate {
  value: number;
  lower: number;
  upper: number;
  /** Standard error (normal intervals). */
  stderr?: number;
}

export interface EvaluationReport {
  decisions: number;
  /** The new policy's estimated mean reward (acceptance rate when rewards are accept = 1). */
  ips: Estimate;
  snips: Estimate;
  dr: Estimate;
  dm: Estimate;
  /** The logging policy's own mean reward (on-policy, for comparison). */
  logging: Estimate;
  diagnostics: {
    /** Decisions where the new policy could have chosen the logged action (w > 0). */
    matched: number;
    /** Mean of the weights: near 1 when the logging probabilities are right and the policy stays in their support. */
    meanWeight: number;
    maxWeight: number;
    /** (sum w)^2 / sum w^2: how many decisions the estimate effectively rests on. */
    effectiveSampleSize: number;
    /** Where the DR/DM reward model came from. */
    rewardModel: 'policy' | 'empirical' | 'mixed';
  };
  interval: 'normal' | 'bootstrap';
  confidence: number;
}

/** Evaluates a policy on logged decisions. */
export function evaluatePolicy(log: readonly LoggedDecision[], policy: Policy, opts: EvaluateOptions = {}): EvaluationReport {
  if (!Array.isArray(log) || log.length === 0) throw new NextbestError('ARGUMENT_INVALID', 'evaluate: the log must be a non-empty array of logged decisions');
  if (typeof policy !== 'function') throw new NextbestError('ARGUMENT_INVALID', 'evaluate: the policy must be a function (decision) => { action } | { probabilities }');
  const confidence = opts.confidence ?? 0.95;
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) {
    throw new NextbestError('OPTION_INVALID', `confidence must be in (0, 1), got ${String(opts.confidence)}`);
  }
  const interval = opts.interval ?? 'normal';
  if (interval !== 'normal' && interval !== 'bootstrap') throw new NextbestError('OPTION_INVALID', `interval must be "normal" or "bootstrap", got ${String(opts.interval)}`);
  const resamples = opts.resamples ?? 1000;
  if (!Number.isInteger(resamples) || resamples < 50) throw new NextbestError('OPTION_INVALID', `resamples must be an integer of at least 50, got ${String(opts.resamples)}`);
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed)) throw new NextbestError('OPTION_INVALID', `seed must be an integer, got ${String(opts.seed)}`);

  const n = log.length;
  const q = crossFitted(log);
  const w = new Float64Array(n);
  const r = new Float64Array(n);
  const dm = new Float64Array(n);
  const dr = new Float64Array(n);
  let fromPolicy = 0;
  for (let i = 0; i < n; i++) {
    const d = log[i]!;
    const out = policy(d);
    const probs = policyProbabilities(out, i);
    const expected = out.expected;
    if (expected !== undefined && (expected === null || typeof expected !== 'object')) {
      throw new NextbestError('ARGUMENT_INVALID', `policy output for decision ${i + 1}: expected must be a map action -> expected reward`);
    }
    const qOf = (a: string): number => {
      const v = expected?.[a];
      if (v === undefined) return q(i, a);
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new NextbestError('ARGUMENT_INVALID', `policy output for decision ${i + 1}: expected["${a}"] must be a finite number`);
      }
      return v;
    };
    if (expected !== undefined) fromPolicy++;
    let direct = 0;
    for (const [a, p] of probs) direct += p * qOf(a);
    const pa = probs.get(d.action) ?? 0;
    w[i] = pa / d.probability;
    r[i] = d.reward;
    dm[i] = direct;
    dr[i] = direct + w[i]! * (d.reward - qOf(d.action));
  }

  const wr = w.map((x, i) => x * r[i]!);
  const sumW = sum(w);
  const snipsValue = sumW > 0 ? sum(wr) / sumW : 0;
  const z = normalQuantile(0.5 + confidence / 2);
  let ips: Estimate;
  let snips: Estimate;
  let drE: Estimate;
  let dmE: Estimate;
  let logging: Estimate;
  if (interval === 'normal') {
    ips = meanInterval(wr, z);
    drE = meanInterval(dr, z);
    dmE = meanInterval(dm, z);
    logging = meanInterval(r, z);
    const meanW = sumW / n;
    const lin = w.map((x, i) => x * (r[i]! - snipsValue));
    const se = meanW > 0 ? sd(lin) / (Math.sqrt(n) * meanW) : 0;
    snips = { value: snipsValue, lower: snipsValue - z * se, upper: snipsValue + z * se, stderr: se };
  } else {
    const rand = splitmix32(seed);
    const stats = { ips: [] as number[], snips: [] as number[], dr: [] as number[], dm: [] as number[], logging: [] as number[] };
    for (let b = 0; b < resamples; b++) {
      let sWr = 0;
      let sW = 0;
      let sDr = 0;
      let sDm = 0;
      let sR = 0;
      for (let k = 0; k < n; k++) {
        const i = Math.floor(rand() * n);
        sWr += wr[i]!;
        sW += w[i]!;
        sDr += dr[i]!;
        sDm += dm[i]!;
        sR += r[i]!;
      }
      stats.ips.push(sWr / n);
      stats.snips.push(sW > 0 ? sWr / sW : 0);
      stats.dr.push(sDr / n);
      stats.dm.push(sDm / n);
      stats.logging.push(sR / n);
    }
    const pct = (xs: number[], value: number): Estimate => {
      xs.sort((a, b) => a - b);
      const lo = (1 - confidence) / 2;
      return { value, lower: quantileSorted(xs, lo), upper: quantileSorted(xs, 1 - lo) };
    };
    ips = pct(stats.ips, mean(wr));
    snips = pct(stats.snips, snipsValue);
    drE = pct(stats.dr, mean(dr));
    dmE = pct(stats.dm, mean(dm));
    logging = pct(stats.logging, mean(r));
  }
  let maxWeight = 0;
  let matched = 0;
  let sumW2 = 0;
  for (let i = 0; i < n; i++) {
    if (w[i]! > maxWeight) maxWeight = w[i]!;
    if (w[i]! > 0) matched++;
    sumW2 += w[i]! * w[i]!;
  }
  return {
    decisions: n,
    ips,
    snips,
    dr: drE,
    dm: dmE,
    logging,
    diagnostics: {
      matched,
      meanWeight: sumW / n,
      maxWeight,
      effectiveSampleSize: sumW2 > 0 ? (sumW * sumW) / sumW2 : 0,
      rewardModel: fromPolicy === n ? 'policy' : fromPolicy === 0 ? 'empirical' : 'mixed',
    },
    interval,
    confidence,
  };
}

function policyProbabilities(out: PolicyOutput, i: number): Map<string, number> {
  const where = `policy output for decision ${i + 1}`;
  if (out === null || typeof out !== 'object') throw new NextbestError('ARGUMENT_INVALID', `${where}: expected { action } or { probabilities }`);
  const m = new Map<string, number>();
  if (out.probabilities !== undefined) {
    if (out.probabilities === null || typeof out.probabilities !== 'object') throw new NextbestError('ARGUMENT_INVALID', `${where}: probabilities must be a map action -> probability`);
    let total = 0;
    for (const [a, p] of Object.entries(out.probabilities)) {
      if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new NextbestError('ARGUMENT_INVALID', `${where}: probability of "${a}" must be in [0, 1], got ${String(p)}`);
      total += p;
      if (p > 0) m.set(a, p);
    }
    if (total > 1 + 1e-9) throw new NextbestError('ARGUMENT_INVALID', `${where}: probabilities sum to ${total}, more than 1`);
    return m;
  }
  if (out.action === null) return m;
  if (typeof out.action !== 'string') throw new NextbestError('ARGUMENT_INVALID', `${where}: expected { action: string | null } or { probabilities }`);
  m.set(out.action, 1);
  return m;
}

/** Per-action mean reward, 2-fold cross-fitted, smoothed toward the fold's overall mean (one pseudo-observation). */
function crossFitted(log: readonly LoggedDecision[]): (i: number, action: string) => number {
  const folds = [0, 1].map((f) => {
    const byAction = new Map<string, { s: number; n: number }>();
    let s = 0;
    let n = 0;
    log.forEach((d, i) => {
      if (i % 2 !== f) return;
      s += d.reward;
      n++;
      const e = byAction.get(d.action) ?? { s: 0, n: 0 };
      e.s += d.reward;
      e.n++;
      byAction.set(d.action, e);
    });
    return { byAction, overall: n > 0 ? s / n : 0 };
  });
  return (i, action) => {
    const fold = folds[1 - (i % 2)]!; // fitted on the other half
    const e = fold.byAction.get(action);
    return e ? (e.s + fold.overall) / (e.n + 1) : fold.overall;
  };
}

function sum(xs: Float64Array): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}

function mean(xs: Float64Array): number {
  return sum(xs) / xs.length;
}

function sd(xs: Float64Array): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < n; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

function meanInterval(xs: Float64Array, z: number): Estimate {
  const m = mean(xs);
  const se = sd(xs) / Math.sqrt(xs.length);
  return { value: m, lower: m - z * se, upper: m + z * se, stderr: se };
}

function quantileSorted(xs: number[], q: number): number {
  const pos = q * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(xs.length - 1, lo + 1);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

/** Small seeded generator for the bootstrap (not used by decisions). */
function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation,
 * relative error below 1.2e-9).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

