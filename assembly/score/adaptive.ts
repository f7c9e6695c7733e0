// Adaptive models: Pega ADM-style naive Bayes over binned predictors, learning
// from every outcome. docs/adaptive.md has the formulas and a worked example.
//
// Two regions: the immutable DEFINITION (validated bundle table, placed once)
// and mutable INSTANCES (learning state: one per action, or action x channel),
// each a fixed-size block whose layout the definition records.
//
// Definition, after the 32-byte model header:
//   +32  nPredictors     i32
//   +36  scoreInstance   usize  instance modelMargins scores (0: none -> NaN)
//   +40  predictors      usize  -> nPredictors records of PRED_SIZE bytes:
//          +0  featByte   i32    byte offset of the feature in a row (index * 4)
//          +4  type       i32    PRED_NUMERIC | PRED_CATEGORICAL
//          +8  nBins      i32    all bins, including "other" and "missing"
//          +12 binBase    i32    first bin of this predictor in an instance's bin arrays
//          +16 table      usize  numeric: f32 thresholds, ascending; categorical: i32 bin per code
//          +20 tableLen   i32    numeric: thresholds (= nBins - 2); categorical: codes covered
//          +24 missingBin i32    bin of a missing (NaN) value
//          +28 otherBin   i32    categorical: bin of unlisted codes and non-codes; numeric: -1
//   +44  totalBins       i32    sum of nBins (B)
//   +48  nScoreBins      i32    S
//   +52  scoreThresholds usize  -> S - 1 f64, ascending; score bin = thresholds <= score
//   +56  threshold       f64    predictor performance (AUC) threshold for activity
//   +64  exploreMode     i32    EXPLORE_* (assembly/score/explore.ts)
//   +72  epsilon         f64
//   +80  rampStart       f64    share of decisions a new instance is admitted to
//   +88  rampPositives   f64    positives at which the ramp reaches 1 (0: no ramp)
//   +96  instance layout: byte offsets within an instance (i32 each), then its size:
//          +96 binPos  +100 binNeg  +104 scorePos  +108 scoreNeg  +112 binLogPos
//          +116 binLogNeg  +120 binLogOdds  +124 auc  +128 classifier  +132 active
//          +136 instanceBytes
//
// Instance (16-aligned):
//   +0   stale     i32   1 when counts changed since activity and classifier were derived
//   +4   nActive   i32   derived: active predictors
//   +8   logPos1   f64   cache: log(1 + positives)
//   +16  logNeg1   f64   cache: log(1 + negatives)
//   +24  norm      f64   cache: logNeg1 - logPos1
//   +32  COUNTS, contiguous f64 (the learning state a snapshot carries):
//          positives, negatives, binPos[B], binNeg[B], scorePos[S], scoreNeg[S]
//   then caches and derived data: binLogPos[B] = log(pos + 1/nBins),
//   binLogNeg[B], binLogOdds[B] = binLogPos - binLogNeg, auc[P] f64,
//   classifier[S] f64 (propensity per score bin), active[P] entries of two i32
//   (the predictor's offset in a bins row, p * 2, and its first bin's byte
//   offset in binLogOdds, binBase * 8).
//
// Every outcome adds 1 to one bin per predictor, so each predictor's bin sums
// equal the totals, and to at most one score bin (the loader checks this of
// any snapshot). Hence the
// per-predictor normaliser log(1 + sumNeg) - log(1 + sumPos) is the one
// cached `norm`, and scoring an active predictor is one load and two adds.
// Caches are pure functions of the counts (recomputed, never adjusted), so
// scores equal the reference twin's bit for bit whatever the history.
// adaptiveUpdate only counts: it marks the instance stale and the per-bin
// logs of the bins it changed NaN, and adaptiveRefresh (run before any score
// of a stale instance) recomputes those logs and the totals' logs.
import { tlog } from "../shared/logexp";

export const AD_NPRED: usize = 32;
export const AD_SCORE_INSTANCE: usize = 36;
export const AD_PREDICTORS: usize = 40;
export const AD_TOTAL_BINS: usize = 44;
export const AD_NSCORE: usize = 48;
export const AD_SCORE_THRESHOLDS: usize = 52;
export const AD_THRESHOLD: usize = 56;
export const AD_EXPLORE: usize = 64;
export const AD_EPSILON: usize = 72;
export const AD_RAMP_START: usize = 80;
export const AD_RAMP_POSITIVES: usize = 88;
export const AD_OFF_BIN_POS: usize = 96;
export const AD_OFF_BIN_NEG: usize = 100;
export const AD_OFF_SCORE_POS: usize = 104;
export const AD_OFF_SCORE_NEG: usize = 108;
export const AD_OFF_BIN_LOGPOS: usize = 112;
export const AD_OFF_BIN_LOGNEG: usize = 116;
export const AD_OFF_BIN_LOGODDS: usize = 120;
export const AD_OFF_AUC: usize = 124;
export const AD_OFF_CLASSIFIER: usize = 128;
export const AD_OFF_ACTIVE: usize = 132;
export const AD_INSTANCE_BYTES: usize = 136;

export const PRED_SIZE: usize = 32;
export const PRED_NUMERIC: i32 = 0;
export const PRED_CATEGORICAL: i32 = 1;

export const INST_STALE: usize = 0;
export const INST_NACTIVE: usize = 4;
export const INST_LOGPOS1: usize = 8;
export const INST_LOGNEG1: usize = 16;
export const INST_NORM: usize = 24;
export const INST_POSITIVES: usize = 32;
export const INST_NEGATIVES: usize = 40;

// Observation: what a decision remembers to learn from its outcome later.
//   +0 score f64  +8 propensity f64  +16 scoreBin i32  +20 reserved  +24 bins u16[nPredictors]
// scoreBin is -1 when no predictor was active: the score then says nothing
// about the customer and the outcome is not counted in the classifier.
export const OBS_SCORE: usize = 0;
export const OBS_PROPENSITY: usize = 8;
export const OBS_SCORE_BIN: usize = 16;
export const OBS_BINS: usize = 24;

// Limits the loader enforces, sized so the static scratch below always fits.
export const MAX_PREDICTORS: i32 = 1024;
export const MAX_PREDICTOR_BINS: i32 = 1024;
export const MAX_SCORE_BINS: i32 = 1024;

const SCRATCH_BINS = memory.data(MAX_PREDICTORS << 1, 16); // u16 per predictor
const SCRATCH_ORDER = memory.data(MAX_PREDICTOR_BINS << 2, 16); // i32 bin order (AUC)
const SCRATCH_RATE = memory.data(MAX_PREDICTOR_BINS << 3, 16); // f64 bin rate (AUC)
const SCRATCH_BLOCK_POS = memory.data(MAX_SCORE_BINS << 3, 16); // f64 (PAV)
const SCRATCH_BLOCK_NEG = memory.data(MAX_SCORE_BINS << 3, 16); // f64 (PAV)
const SCRATCH_BLOCK_START = memory.data(MAX_SCORE_BINS << 2, 16); // i32 (PAV)

@inline function off(model: usize, field: usize): usize {
  return <usize>load<i32>(model + field);
}

/** The number of the n ascending values at table that are <= x (NaN: 0), in branch-free steps. */
@inline function upperBound<T>(table: usize, n: i32, x: T): i32 {
  let lo = 0;
  while (n > 0) {
    const half = n >>> 1;
    const mid = lo + half;
    const le = load<T>(table + (<usize>mid << alignof<T>())) <= x;
    lo = select<i32>(mid + 1, lo, le);
    n = select<i32>(n - half - 1, half, le);
  }
  return lo;
}

/** Bin of one predictor for a row; any f32 bit pattern is safe. */
@inline function predictorBin(pred: usize, row: usize): i32 {
  const x = load<f32>(row + <usize>load<i32>(pred));
  if (x != x) return load<i32>(pred, 24);
  const table = load<usize>(pred, 16);
  const len = load<i32>(pred, 20);
  if (load<i32>(pred, 4) == PRED_NUMERIC) {
    return upperBound<f32>(table, len, x);
  }
  if (x >= 0 && x < <f32>len) {
    const code = <i32>x;
    if (<f32>code == x) {
      const bin = load<i32>(table + (<usize>code << 2));
      assert(bin >= 0 && bin < load<i32>(pred, 8), "category bin outside the predictor");
      return bin;
    }
  }
  return load<i32>(pred, 28);
}

/** Bins of every predictor of a row (schema-order f32 features) into bins (u16 each). */
export function adaptiveBinRow(model: usize, row: usize, bins: usize): void {
  const n = load<i32>(model, AD_NPRED);
  let pred = load<usize>(model, AD_PREDICTORS);
  for (let p = 0; p < n; p++, pred += PRED_SIZE) {
    store<u16>(bins + (<usize>p << 1), <u16>predictorBin(pred, row));
  }
}

/** Score bin of a score: the number of score thresholds <= score (NaN -> bin 0). */
export function adaptiveScoreBin(model: usize, score: f64): i32 {
  return upperBound<f64>(load<usize>(model, AD_SCORE_THRESHOLDS), load<i32>(model, AD_NSCORE) - 1, score);
}

/**
 * The model score of binned predictors (bins from adaptiveBinRow, trusted):
 *   [log(1+P) - log(1+N) + sum over active p of contribution_p] / (1 + nActive)
 * with contribution_p = binLogOdds[bin] + norm, accumulated in predictor order.
 */
export function adaptiveScore(model: usize, inst: usize, bins: usize): f64 {
  if (load<i32>(inst, INST_STALE) != 0) adaptiveRefresh(model, inst);
  const nActive = load<i32>(inst, INST_NACTIVE);
  assert(nActive >= 0 && nActive <= load<i32>(model, AD_NPRED), "active predictors out of range");
  const norm = load<f64>(inst, INST_NORM);
  let entry = inst + off(model, AD_OFF_ACTIVE);
  const logOdds = inst + off(model, AD_OFF_BIN_LOGODDS);
  let acc: f64 = 0;
  for (let k = 0; k < nActive; k++, entry += 8) {
    // entry: the predictor's offset in bins (p * 2), its first bin's offset in binLogOdds (base * 8)
    const bin = <usize>load<u16>(bins + <usize>load<i32>(entry));
    acc += load<f64>(logOdds + <usize>load<i32>(entry, 4) + (bin << 3)) + norm;
  }
  const prior = load<f64>(inst, INST_LOGPOS1) - load<f64>(inst, INST_LOGNEG1);
  return (prior + acc) / <f64>(1 + nActive);
}

/** Propensity of a score: the (PAV-smoothed) classifier value of its score bin. */
export function adaptiveClassify(model: usize, inst: usize, score: f64): f64 {
  if (load<i32>(inst, INST_STALE) != 0) adaptiveRefresh(model, inst);
  const sb = adaptiveScoreBin(model, score);
  return load<f64>(inst + off(model, AD_OFF_CLASSIFIER) + (<usize>sb << 3));
}

/**
 * Bins a row, scores it and maps the score to a propensity; writes the
 * observation (score, propensity, score bin, bins) at obs and returns the
 * propensity. The observation is what adaptiveUpdate learns from later.
 */
export function adaptiveObserve(model: usize, inst: usize, row: usize, obs: usize): f64 {
  const bins = obs + OBS_BINS;
  adaptiveBinRow(model, row, bins);
  const score = adaptiveScore(model, inst, bins);
  // Without an active predictor the score says nothing about the customer:
  // such outcomes are not counted in the classifier (score bin -1).
  const sb = load<i32>(inst, INST_NACTIVE) == 0 ? -1 : adaptiveScoreBin(model, score);
  const p = load<f64>(inst + off(model, AD_OFF_CLASSIFIER) + (<usize>(sb < 0 ? 0 : sb) << 3));
  store<f64>(obs, score, OBS_SCORE);
  store<f64>(obs, p, OBS_PROPENSITY);
  store<i32>(obs, sb, OBS_SCORE_BIN);
  return p;
}

/**
 * Learns one outcome (positive != 0: accept) of an observation: +1 to the
 * observed bin of every predictor, to the total and to the observed score
 * bin (none when it is -1: decided without active predictors); marks the
 * logs of the changed bins stale (NaN) and the instance stale, so the next
 * refresh recomputes what those counts feed.
 * Observations are input: returns 1 (and changes nothing) when a bin or the
 * score bin is out of range, else 0.
 */
export function adaptiveUpdate(model: usize, inst: usize, obs: usize, positive: i32): i32 {
  const n = load<i32>(model, AD_NPRED);
  const preds = load<usize>(model, AD_PREDICTORS);
  for (let p = 0; p < n; p++) {
    const bin = <i32>load<u16>(obs + OBS_BINS + (<usize>p << 1));
    if (bin >= load<i32>(preds + <usize>p * PRED_SIZE, 8)) return 1;
  }
  const sb = load<i32>(obs, OBS_SCORE_BIN);
  if (sb < -1 || sb >= load<i32>(model, AD_NSCORE)) return 1;

  const countAt = inst + off(model, positive != 0 ? AD_OFF_BIN_POS : AD_OFF_BIN_NEG);
  const logAt = inst + off(model, positive != 0 ? AD_OFF_BIN_LOGPOS : AD_OFF_BIN_LOGNEG);
  const total = positive != 0 ? INST_POSITIVES : INST_NEGATIVES;
  store<f64>(inst + total, load<f64>(inst + total) + 1.0);
  // The changed bins' logs are recomputed by the next refresh (NaN: stale),
  // so an outcome costs increments, and several outcomes between two
  // decisions cost one log per changed bin.
  let pred = preds;
  for (let p = 0; p < n; p++, pred += PRED_SIZE) {
    const i = <usize>(load<i32>(pred, 12) + <i32>load<u16>(obs + OBS_BINS + (<usize>p << 1))) << 3;
    store<f64>(countAt + i, load<f64>(countAt + i) + 1.0);
    store<f64>(logAt + i, NaN);
  }
  if (sb >= 0) {
    const scoreAt = inst + off(model, positive != 0 ? AD_OFF_SCORE_POS : AD_OFF_SCORE_NEG) + (<usize>sb << 3);
    store<f64>(scoreAt, load<f64>(scoreAt) + 1.0);
  }
  store<i32>(inst, 1, INST_STALE);
  return 0;
}

/** Recomputes every cache from the counts (after a merge, restore or reset) and marks the instance stale. */
export function adaptiveRebuild(model: usize, inst: usize): void {
  const n = load<i32>(model, AD_NPRED);
  const binPos = inst + off(model, AD_OFF_BIN_POS);
  const binNeg = inst + off(model, AD_OFF_BIN_NEG);
  const logPos = inst + off(model, AD_OFF_BIN_LOGPOS);
  const logNeg = inst + off(model, AD_OFF_BIN_LOGNEG);
  const logOdds = inst + off(model, AD_OFF_BIN_LOGODDS);
  let pred = load<usize>(model, AD_PREDICTORS);
  for (let p = 0; p < n; p++, pred += PRED_SIZE) {
    const nBins = load<i32>(pred, 8);
    const inv = 1.0 / <f64>nBins;
    const base = load<i32>(pred, 12);
    for (let b = 0; b < nBins; b++) {
      const i = <usize>(base + b) << 3;
      const lp = tlog(load<f64>(binPos + i) + inv);
      const ln = tlog(load<f64>(binNeg + i) + inv);
      store<f64>(logPos + i, lp);
      store<f64>(logNeg + i, ln);
      store<f64>(logOdds + i, lp - ln);
    }
  }
  const lp1 = tlog(1.0 + load<f64>(inst, INST_POSITIVES));
  const ln1 = tlog(1.0 + load<f64>(inst, INST_NEGATIVES));
  store<f64>(inst, lp1, INST_LOGPOS1);
  store<f64>(inst, ln1, INST_LOGNEG1);
  store<f64>(inst, ln1 - lp1, INST_NORM);
  store<i32>(inst, 1, INST_STALE);
}

/**
 * AUC of one predictor from its bin counts (pdstools auc_from_bincounts):
 * non-empty bins in descending order of pos/(pos+neg) (ties: bin order),
 * trapezoids under the ROC curve, folded into [0.5, 1]. 0.5 without both
 * positives and negatives.
 */
export function binsAuc(pos: usize, neg: usize, n: i32): f64 {
  assert(n <= MAX_PREDICTOR_BINS, "predictor has more bins than the scratch holds");
  let sumPos: f64 = 0;
  let sumNeg: f64 = 0;
  for (let i = 0; i < n; i++) {
    sumPos += load<f64>(pos + (<usize>i << 3));
    sumNeg += load<f64>(neg + (<usize>i << 3));
  }
  if (sumPos == 0 || sumNeg == 0) return 0.5;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const p = load<f64>(pos + (<usize>i << 3));
    const t = p + load<f64>(neg + (<usize>i << 3));
    if (t > 0) {
      const r = p / t;
      // insertion sort, descending rate; equal rates keep bin order
      let j = m;
      while (j > 0 && load<f64>(SCRATCH_RATE + (<usize>(j - 1) << 3)) < r) {
        store<f64>(SCRATCH_RATE + (<usize>j << 3), load<f64>(SCRATCH_RATE + (<usize>(j - 1) << 3)));
        store<i32>(SCRATCH_ORDER + (<usize>j << 2), load<i32>(SCRATCH_ORDER + (<usize>(j - 1) << 2)));
        j--;
      }
      store<f64>(SCRATCH_RATE + (<usize>j << 3), r);
      store<i32>(SCRATCH_ORDER + (<usize>j << 2), i);
      m++;
    }
  }
  let cumPos: f64 = 0;
  let cumNeg: f64 = 0;
  let prevTpr: f64 = 0;
  let prevFpr: f64 = 0;
  let area: f64 = 0;
  for (let k = 0; k < m; k++) {
    const i = <usize>load<i32>(SCRATCH_ORDER + (<usize>k << 2)) << 3;
    cumPos += load<f64>(pos + i);
    cumNeg += load<f64>(neg + i);
    const tpr = cumPos / sumPos;
    const fpr = cumNeg / sumNeg;
    area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2.0;
    prevTpr = tpr;
    prevFpr = fpr;
  }
  return 0.5 + Math.abs(area - 0.5);
}

/**
 * Derives what depends on all counts at once: each predictor's AUC and
 * activity (AUC >= threshold), and the classifier (score bin -> propensity)
 * by pool-adjacent-violators over the score bins, so propensity never falls
 * as the score rises. Each block of pooled bins maps to
 * (0.5 + pos) / (1 + pos + neg); empty bins take the block below them (the
 * lowest block below the first). With no active predictor every customer
 * scores the same, and before any outcome is in a score bin there is nothing
 * to map: then the model is one bin, (0.5 + positives) / (1 + positives +
 * negatives), which says 0.5 for a model without outcomes.
 */
export function adaptiveRefresh(model: usize, inst: usize): void {
  const n = load<i32>(model, AD_NPRED);
  const threshold = load<f64>(model, AD_THRESHOLD);
  const binPos = inst + off(model, AD_OFF_BIN_POS);
  const binNeg = inst + off(model, AD_OFF_BIN_NEG);
  const logPos = inst + off(model, AD_OFF_BIN_LOGPOS);
  const logNeg = inst + off(model, AD_OFF_BIN_LOGNEG);
  const logOdds = inst + off(model, AD_OFF_BIN_LOGODDS);
  const aucAt = inst + off(model, AD_OFF_AUC);
  const active = inst + off(model, AD_OFF_ACTIVE);
  const lp1 = tlog(1.0 + load<f64>(inst, INST_POSITIVES));
  const ln1 = tlog(1.0 + load<f64>(inst, INST_NEGATIVES));
  store<f64>(inst, lp1, INST_LOGPOS1);
  store<f64>(inst, ln1, INST_LOGNEG1);
  store<f64>(inst, ln1 - lp1, INST_NORM);
  let nActive = 0;
  let pred = load<usize>(model, AD_PREDICTORS);
  for (let p = 0; p < n; p++, pred += PRED_SIZE) {
    const base = <usize>load<i32>(pred, 12) << 3;
    // the logs adaptiveUpdate left stale (NaN)
    const nBins = load<i32>(pred, 8);
    const inv = 1.0 / <f64>nBins;
    for (let b = 0; b < nBins; b++) {
      const i = base + (<usize>b << 3);
      let lp = load<f64>(logPos + i);
      let ln = load<f64>(logNeg + i);
      if (lp != lp || ln != ln) {
        if (lp != lp) {
          lp = tlog(load<f64>(binPos + i) + inv);
          store<f64>(logPos + i, lp);
        }
        if (ln != ln) {
          ln = tlog(load<f64>(binNeg + i) + inv);
          store<f64>(logNeg + i, ln);
        }
        store<f64>(logOdds + i, lp - ln);
      }
    }
    const auc = binsAuc(binPos + base, binNeg + base, load<i32>(pred, 8));
    store<f64>(aucAt + (<usize>p << 3), auc);
    if (auc >= threshold) {
      store<i32>(active + (<usize>nActive << 3), p << 1);
      store<i32>(active + (<usize>nActive << 3), load<i32>(pred, 12) << 3, 4);
      nActive++;
    }
  }
  store<i32>(inst, nActive, INST_NACTIVE);

  const s = load<i32>(model, AD_NSCORE);
  assert(s >= 1 && s <= MAX_SCORE_BINS, "score bins out of range");
  const scorePos = inst + off(model, AD_OFF_SCORE_POS);
  const scoreNeg = inst + off(model, AD_OFF_SCORE_NEG);
  const classifier = inst + off(model, AD_OFF_CLASSIFIER);
  let m = 0;
  for (let b = 0; b < s && nActive > 0; b++) {
    const p = load<f64>(scorePos + (<usize>b << 3));
    const q = load<f64>(scoreNeg + (<usize>b << 3));
    if (p + q == 0) continue;
    store<f64>(SCRATCH_BLOCK_POS + (<usize>m << 3), p);
    store<f64>(SCRATCH_BLOCK_NEG + (<usize>m << 3), q);
    store<i32>(SCRATCH_BLOCK_START + (<usize>m << 2), b);
    m++;
    while (m >= 2) {
      const a = <usize>(m - 2) << 3;
      const c = <usize>(m - 1) << 3;
      const ap = load<f64>(SCRATCH_BLOCK_POS + a);
      const an = load<f64>(SCRATCH_BLOCK_NEG + a);
      const cp = load<f64>(SCRATCH_BLOCK_POS + c);
      const cn = load<f64>(SCRATCH_BLOCK_NEG + c);
      if (ap / (ap + an) <= cp / (cp + cn)) break;
      store<f64>(SCRATCH_BLOCK_POS + a, ap + cp);
      store<f64>(SCRATCH_BLOCK_NEG + a, an + cn);
      m--;
    }
  }
  if (m == 0) {
    // No active predictor (every customer scores the same) or no outcome in
    // a score bin yet: the model is one bin, its base rate.
    const pos = load<f64>(inst, INST_POSITIVES);
    const neg = load<f64>(inst, INST_NEGATIVES);
    const base = (0.5 + pos) / (1.0 + pos + neg);
    for (let b = 0; b < s; b++) store<f64>(classifier + (<usize>b << 3), base);
  } else {
    // each pooled block's propensity, once, for its score bins and the empty ones above it
    // (the first block's also for the empty bins below it)
    for (let j = 0; j < m; j++) {
      const p = load<f64>(SCRATCH_BLOCK_POS + (<usize>j << 3));
      const q = load<f64>(SCRATCH_BLOCK_NEG + (<usize>j << 3));
      const v = (0.5 + p) / (1.0 + p + q);
      const from = j == 0 ? 0 : load<i32>(SCRATCH_BLOCK_START + (<usize>j << 2));
      const to = j + 1 < m ? load<i32>(SCRATCH_BLOCK_START + (<usize>(j + 1) << 2)) : s;
      for (let b = from; b < to; b++) store<f64>(classifier + (<usize>b << 3), v);
    }
  }
  store<i32>(inst, 0, INST_STALE);
}

/**
 * Propensities of one customer for n instances of a model (e.g. the actions
 * of a decision that share one adaptive definition): the row is binned once
 * into `bins`, then each instance (pointers at insts, usize each) is scored
 * and classified into out[i] (f64). About 20 loads and adds per instance of a
 * 20-predictor model once its derived state is fresh.
 */
export function adaptivePropensities(model: usize, insts: usize, n: i32, row: usize, bins: usize, out: usize): void {
  adaptiveBinRow(model, row, bins);
  for (let i = 0; i < n; i++) {
    const inst = load<usize>(insts + (<usize>i << 2));
    const score = adaptiveScore(model, inst, bins);
    store<f64>(out + (<usize>i << 3), load<f64>(inst + off(model, AD_OFF_CLASSIFIER) + (<usize>adaptiveScoreBin(model, score) << 3)));
  }
}

/** modelMargins for adaptive models: the propensity (f32) of each row under the definition's scoreInstance. */
export function adaptiveMargins(model: usize, rows: usize, n: i32, strideBytes: i32, out: usize): void {
  const inst = load<usize>(model, AD_SCORE_INSTANCE);
  for (let r = 0; r < n; r++) {
    let p: f64 = NaN;
    if (inst != 0) {
      adaptiveBinRow(model, rows + <usize>(r * strideBytes), SCRATCH_BINS);
      p = adaptiveClassify(model, inst, adaptiveScore(model, inst, SCRATCH_BINS));
    }
    store<f32>(out + (<usize>r << 2), <f32>p);
  }
}
