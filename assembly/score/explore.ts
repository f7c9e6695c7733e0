// Exploration on adaptive propensities: the per-action functions the decision
// kernel calls after scoring an adaptive instance. All randomness comes from
// a caller-owned xoshiro128** stream (assembly/shared/prng.ts), so a decision
// is reproducible from its seed.
//
//   adaptiveExplore  the propensity to rank by:
//                    thompson  Beta(p * e, (1 - p) * e), e = the instance's
//                              evidence (positives + negatives), at least 2,
//                              so a new model (p = 0.5) draws uniformly
//                    epsilon   a uniform draw when the decision explores
//                              (coin < epsilon; one coin per decision), else p
//                    none      p
//   adaptiveAdmit    exposure ramp for new actions: admitted with probability
//                    rampStart + (1 - rampStart) * positives / rampPositives,
//                    1 from rampPositives on (Pega's outbound model maturity:
//                    2% to 100% over the first 200 positives)
// The model's settings are in its definition (assembly/score/adaptive.ts).
import { prngBeta, prngUniform } from "../shared/prng";
import {
  AD_EPSILON,
  AD_EXPLORE,
  AD_RAMP_POSITIVES,
  AD_RAMP_START,
  INST_NEGATIVES,
  INST_POSITIVES,
} from "./adaptive";

export const EXPLORE_NONE: i32 = 0;
export const EXPLORE_THOMPSON: i32 = 1;
export const EXPLORE_EPSILON: i32 = 2;

const P_MIN: f64 = 1e-12;
const MIN_EVIDENCE: f64 = 2.0;

/** A Thompson draw around propensity p with the given evidence (NaN p returns NaN). */
export function thompsonDraw(rng: usize, p: f64, evidence: f64): f64 {
  if (p != p) return p;
  if (p < P_MIN) p = P_MIN;
  else if (p > 1.0 - P_MIN) p = 1.0 - P_MIN;
  const e = evidence > MIN_EVIDENCE ? evidence : MIN_EVIDENCE; // NaN evidence -> the minimum
  return prngBeta(rng, p * e, (1.0 - p) * e);
}

/** The propensity to rank an action by, per the model's exploration setting. */
export function adaptiveExplore(model: usize, inst: usize, rng: usize, p: f64, coin: f64): f64 {
  const mode = load<i32>(model, AD_EXPLORE);
  if (mode == EXPLORE_THOMPSON) {
    return thompsonDraw(rng, p, load<f64>(inst, INST_POSITIVES) + load<f64>(inst, INST_NEGATIVES));
  }
  if (mode == EXPLORE_EPSILON) {
    return coin < load<f64>(model, AD_EPSILON) ? prngUniform(rng) : p;
  }
  return p;
}

/** 1 when the instance is offered in this decision under the exposure ramp, else 0. */
export function adaptiveAdmit(model: usize, inst: usize, rng: usize): i32 {
  const full = load<f64>(model, AD_RAMP_POSITIVES);
  if (!(full > 0.0)) return 1;
  const positives = load<f64>(inst, INST_POSITIVES);
  if (positives >= full) return 1;
  const start = load<f64>(model, AD_RAMP_START);
  const reach = start + ((1.0 - start) * positives) / full;
  return prngUniform(rng) < reach ? 1 : 0;
}

/**
 * Exploration for n instances at once (after adaptivePropensities):
 * props[i] -> out[i] per the model's setting; one epsilon coin for the call.
 */
export function adaptiveExploreMany(model: usize, insts: usize, n: i32, rng: usize, props: usize, out: usize): void {
  const coin = load<i32>(model, AD_EXPLORE) == EXPLORE_EPSILON ? prngUniform(rng) : 1.0;
  for (let i = 0; i < n; i++) {
    const inst = load<usize>(insts + (<usize>i << 2));
    store<f64>(out + (<usize>i << 3), adaptiveExplore(model, inst, rng, load<f64>(props + (<usize>i << 3)), coin));
  }
}
