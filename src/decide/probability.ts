/**
 * The probability that a decision's policy selects each action it selected:
 * what a host logs with a decision so that offline evaluation (IPS, DR:
 * src/evaluate/) can weigh it. The policy is random only through the
 * decision's exploration stream (adaptive propensities: exposure ramp,
 * epsilon coin, Thompson or epsilon draws), so the probability is over that
 * stream, with the request, customer state and learning state fixed.
 *
 *   no draw          the decision drew nothing from its stream (no adaptive
 *                    candidate reached the propensity stage, or none explores
 *                    or ramps): the policy is deterministic, probability 1.
 *   epsilon coins    each epsilon-greedy model that reached the propensity
 *                    stage has one coin per decision (explore with
 *                    probability epsilon). Up to MAX_STRATIFIED_MODELS such
 *                    coins are enumerated: P(a) = sum over coin patterns of
 *                    P(pattern) P(a | pattern). A pattern in which the
 *                    decision draws nothing (all coins "exploit", no ramp, no
 *                    Thompson model) is decided by one run: exact.
 *   otherwise        Monte Carlo: `draws` re-runs of the decision kernel
 *                    (assembly/decide/arbitrate.ts decideSample) with a
 *                    stream of their own, and the decision itself as one more
 *                    sample of the pattern it fell in:
 *                    P(a | pattern) ~ (hits + 1) / (draws + 1) for that
 *                    pattern, hits / draws for the others.
 *
 * With one pattern (Thompson sampling, a ramp, or more coins than
 * MAX_STRATIFIED_MODELS) the estimate p^ = (1 + X) / (K + 1), X ~ Bin(K, p),
 * is never 0 for the action taken, and its inverse, the IPS weight, has
 * E[1 / p^] = (1 - (1 - p)^(K + 1)) / p: relative bias -(1 - p)^(K + 1)
 * (below 1% once p > 4.6 / (K + 1)); its standard error is about
 * sqrt(p (1 - p) / K). docs/adaptive.md ("Offline evaluation") has the
 * table. The re-runs never touch the decision's own stream, so asking for
 * probabilities does not change which actions are selected.
 */
import { NextbestError } from '../errors.js';
import { describe } from '../bundle/binary.js';

/** Re-runs per random coin pattern when a decision asks for `probability: true`. */
export const DEFAULT_PROBABILITY_DRAWS = 200;
export const MAX_PROBABILITY_DRAWS = 100_000;
/** Epsilon coins enumerated at most (2^3 patterns); beyond, the coins are sampled with the rest. */
export const MAX_STRATIFIED_MODELS = 3;
/** Forces of decideSample (arbitrate.ts COIN_EXPLOIT, COIN_EXPLORE). */
export const COIN_EXPLOIT = 1;
export const COIN_EXPLORE = 2;

/** The draws a decide option asks for: 0 (no probabilities), or the re-runs per random pattern. */
export function probabilityDraws(option: unknown): number {
  if (option === undefined || option === false) return 0;
  if (option === true) return DEFAULT_PROBABILITY_DRAWS;
  if (option !== null && typeof option === 'object' && !Array.isArray(option)) {
    const o = option as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k !== 'draws') throw new NextbestError('OPTION_INVALID', `unknown probability option "${k.slice(0, 64)}"; known: draws`);
    }
    const d = o.draws ?? DEFAULT_PROBABILITY_DRAWS;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_PROBABILITY_DRAWS) {
      throw new NextbestError('OPTION_INVALID', `probability.draws must be an integer from 1 to ${MAX_PROBABILITY_DRAWS} (re-runs of the decision), got ${describe(d)}`);
    }
    return d;
  }
  throw new NextbestError('OPTION_INVALID', `probability must be true, false or { draws }, got ${describe(option)}`);
}

/** P(u < epsilon) for the kernels' 53-bit uniform u = k / 2^53: exactly ceil(epsilon 2^53) / 2^53. */
export function exploreChance(epsilon: number): number {
  if (!(epsilon > 0)) return 0;
  if (epsilon >= 1) return 1;
  return Math.ceil(epsilon * 2 ** 53) / 2 ** 53;
}

/** An epsilon-greedy model's coin in a decision: its adaptive ref, epsilon, and whether the decision explored. */
export interface EpsilonCoin {
  ref: number;
  epsilon: number;
  explored: boolean;
}

/** A coin pattern: the force of each coin (same order as the coins), its probability, and whether the decision fell in it. */
export interface Stratum {
  forces: number[];
  weight: number;
  realized: boolean;
}

/**
 * The coin patterns to sample: every pattern of up to MAX_STRATIFIED_MODELS
 * coins with a non-zero probability (the first coin is the lowest bit), or
 * one pattern of natural draws (no forces) otherwise.
 */
export function strata(coins: readonly EpsilonCoin[]): Stratum[] {
  if (coins.length === 0 || coins.length > MAX_STRATIFIED_MODELS) return [{ forces: [], weight: 1, realized: true }];
  const out: Stratum[] = [];
  for (let pattern = 0; pattern < 1 << coins.length; pattern++) {
    let weight = 1;
    let realized = true;
    const forces = coins.map((c, i) => {
      const explore = ((pattern >> i) & 1) === 1;
      const chance = exploreChance(c.epsilon);
      weight *= explore ? chance : 1 - chance;
      if (explore !== c.explored) realized = false;
      return explore ? COIN_EXPLORE : COIN_EXPLOIT;
    });
    if (weight > 0) out.push({ forces, weight, realized });
  }
  return out;
}

/** What sampling one pattern gave: hits per target, and whether the pattern is deterministic (one run, exact). */
export interface StratumHits {
  hits: ArrayLike<number>;
  deterministic: boolean;
}

/**
 * P(target) = sum over patterns of weight x P(target | pattern), in pattern
 * order (the runtime and the test twin share this, so their bits agree).
 */
export function combineStrata(parts: readonly Stratum[], results: readonly StratumHits[], draws: number, nTargets: number): { probabilities: number[]; exact: boolean } {
  const probabilities = new Array<number>(nTargets).fill(0);
  let exact = true;
  parts.forEach((s, i) => {
    const r = results[i]!;
    if (!r.deterministic) exact = false;
    const extra = s.realized && !r.deterministic ? 1 : 0;
    for (let k = 0; k < nTargets; k++) {
      const p = r.deterministic ? r.hits[k]! : (r.hits[k]! + extra) / (draws + extra);
      probabilities[k] = probabilities[k]! + s.weight * p;
    }
  });
  // the patterns' weights may sum to 1 within a rounding error: a probability is at most 1
  for (let k = 0; k < nTargets; k++) if (probabilities[k]! > 1) probabilities[k] = 1;
  return { probabilities, exact };
}

/**
 * Seed words of the sampling stream, from the decision stream's four state
 * words after the decision: a stream of its own (seeded through the murmur3
 * finaliser), reproducible from the decision's seed, that never advances the
 * decision's stream.
 */
export function samplingSeedWords(words: ArrayLike<number>): [number, number] {
  return [(words[0]! ^ words[2]! ^ 0x5851f42d) >>> 0, (words[1]! ^ words[3]! ^ 0x14057b7e) >>> 0];
}
