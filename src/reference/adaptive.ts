/**
 * Plain-TypeScript twin of assembly/score/adaptive.ts, written straight from
 * the formulas (docs/adaptive.md) with no caches: every score recomputes
 * predictor AUCs, activity, bin log odds, normalisers and the PAV classifier
 * from the raw counts. It evaluates the same f64 expressions in the same
 * order with the same portable log (tlog, src/reference/logexp.ts), so its
 * scores and propensities equal the kernel's bit for bit.
 *
 * Counts use the layout of an instance's count region:
 *   [positives, negatives, binPos[B], binNeg[B], scorePos[S], scoreNeg[S]]
 */
import { tlog } from './logexp.js';
import { instanceLayout, predictorBinCount, type AdaptiveTable } from '../models/adaptive.js';

/** Fresh (all zero) counts for a table. */
export function referenceCounts(t: AdaptiveTable): Float64Array {
  return new Float64Array(instanceLayout(t).countsLength);
}

/** The bin of every predictor for a row (schema-order f32 values at offset). */
export function referenceAdaptiveBins(t: AdaptiveTable, row: Float32Array, offset = 0): Uint16Array {
  const bins = new Uint16Array(t.predictors.length);
  t.predictors.forEach((p, k) => {
    const nBins = predictorBinCount(p);
    const x = row[offset + p.feature]!;
    if (Number.isNaN(x)) bins[k] = nBins - 1;
    else if (p.type === 'numeric') {
      let n = 0;
      for (const th of p.thresholds) if (th <= x) n++;
      bins[k] = n;
    } else if (x >= 0 && x < p.codeToBin.length && Number.isInteger(x)) bins[k] = p.codeToBin[x]!;
    else bins[k] = nBins - 2;
  });
  return bins;
}

/** AUC from bin counts: bins by descending pos/(pos+neg) (ties in bin order), trapezoids, folded into [0.5, 1]. */
export function referenceBinsAuc(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  let sumPos = 0;
  let sumNeg = 0;
  for (let i = 0; i < pos.length; i++) {
    sumPos += pos[i]!;
    sumNeg += neg[i]!;
  }
  if (sumPos === 0 || sumNeg === 0) return 0.5;
  const order: { i: number; rate: number }[] = [];
  for (let i = 0; i < pos.length; i++) {
    const total = pos[i]! + neg[i]!;
    if (total > 0) order.push({ i, rate: pos[i]! / total });
  }
  order.sort((a, b) => (a.rate === b.rate ? a.i - b.i : b.rate - a.rate));
  let cumPos = 0;
  let cumNeg = 0;
  let prevTpr = 0;
  let prevFpr = 0;
  let area = 0;
  for (const { i } of order) {
    cumPos += pos[i]!;
    cumNeg += neg[i]!;
    const tpr = cumPos / sumPos;
    const fpr = cumNeg / sumNeg;
    area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2.0;
    prevTpr = tpr;
    prevFpr = fpr;
  }
  return 0.5 + Math.abs(area - 0.5);
}

/** Per predictor: its AUC and whether it is active (AUC >= the threshold). */
export function referencePredictorActivity(t: AdaptiveTable, counts: Float64Array): { auc: number[]; active: boolean[] } {
  const l = instanceLayout(t);
  const B = l.totalBins;
  const auc = t.predictors.map((_, k) => {
    const base = 2 + l.binBase[k]!;
    const n = l.binCount[k]!;
    return referenceBinsAuc(counts.subarray(base, base + n), counts.subarray(B + base, B + base + n));
  });
  return { auc, active: auc.map((a) => a >= t.performanceThreshold) };
}

/**
 * The score of binned predictors:
 *   [ log(1 + P) - log(1 + N) + sum over active p of contribution_p ] / (1 + nActive)
 *   contribution_p = [ log(pos_i + 1/nBins) - log(neg_i + 1/nBins) ] + [ log(1 + sumNeg_p) - log(1 + sumPos_p) ]
 * for the bin i the customer falls in; sums accumulate in predictor order.
 */
export function referenceAdaptiveScore(t: AdaptiveTable, counts: Float64Array, bins: ArrayLike<number>): number {
  const l = instanceLayout(t);
  const B = l.totalBins;
  const { active } = referencePredictorActivity(t, counts);
  let acc = 0;
  let nActive = 0;
  t.predictors.forEach((_, k) => {
    if (!active[k]) return;
    nActive++;
    const base = 2 + l.binBase[k]!;
    const n = l.binCount[k]!;
    let sumPos = 0;
    let sumNeg = 0;
    for (let b = 0; b < n; b++) {
      sumPos += counts[base + b]!;
      sumNeg += counts[B + base + b]!;
    }
    const i = base + bins[k]!;
    const inv = 1.0 / n;
    acc += tlog(counts[i]! + inv) - tlog(counts[B + i]! + inv) + (tlog(1.0 + sumNeg) - tlog(1.0 + sumPos));
  });
  const prior = tlog(1.0 + counts[0]!) - tlog(1.0 + counts[1]!);
  return (prior + acc) / (1 + nActive);
}

/** Score bin: the number of score thresholds <= score. */
export function referenceScoreBin(t: AdaptiveTable, score: number): number {
  let n = 0;
  for (const th of t.scoreThresholds) if (th <= score) n++;
  return n;
}

/**
 * The classifier: score bin -> propensity. Pool adjacent violators over the
 * non-empty score bins (in score order) until pos/(pos+neg) never falls; each
 * pooled block says (0.5 + pos) / (1 + pos + neg); empty bins take the block
 * below them, bins below the first block take the first. Without an active
 * predictor (everyone scores the same) or an outcome in a score bin, the
 * model is one bin: (0.5 + P) / (1 + P + N), 0.5 without outcomes.
 */
export function referenceClassifier(t: AdaptiveTable, counts: Float64Array): Float64Array {
  const l = instanceLayout(t);
  const S = l.scoreBins;
  const posAt = 2 + 2 * l.totalBins;
  const negAt = posAt + S;
  const anyActive = referencePredictorActivity(t, counts).active.some(Boolean);
  const blocks: { pos: number; neg: number; start: number }[] = [];
  for (let b = 0; b < S && anyActive; b++) {
    const p = counts[posAt + b]!;
    const q = counts[negAt + b]!;
    if (p + q === 0) continue;
    blocks.push({ pos: p, neg: q, start: b });
    while (blocks.length >= 2) {
      const a = blocks[blocks.length - 2]!;
      const c = blocks[blocks.length - 1]!;
      if (a.pos / (a.pos + a.neg) <= c.pos / (c.pos + c.neg)) break;
      a.pos = a.pos + c.pos;
      a.neg = a.neg + c.neg;
      blocks.pop();
    }
  }
  const out = new Float64Array(S);
  // no active predictor (everyone scores the same) or no outcome in a score bin: one bin, the base rate
  if (blocks.length === 0) return out.fill((0.5 + counts[0]!) / (1.0 + counts[0]! + counts[1]!));
  let j = 0;
  for (let b = 0; b < S; b++) {
    while (j + 1 < blocks.length && blocks[j + 1]!.start <= b) j++;
    const { pos, neg } = blocks[j]!;
    out[b] = (0.5 + pos) / (1.0 + pos + neg);
  }
  return out;
}

export interface ReferenceObservation {
  bins: Uint16Array;
  score: number;
  scoreBin: number;
  propensity: number;
}

/** Bins, score, score bin and propensity of one row. */
export function referenceAdaptiveObserve(t: AdaptiveTable, counts: Float64Array, row: Float32Array, offset = 0): ReferenceObservation {
  const bins = referenceAdaptiveBins(t, row, offset);
  const score = referenceAdaptiveScore(t, counts, bins);
  // decided without an active predictor: not counted in the classifier (-1)
  const scoreBin = referencePredictorActivity(t, counts).active.some(Boolean) ? referenceScoreBin(t, score) : -1;
  return { bins, score, scoreBin, propensity: referenceClassifier(t, counts)[Math.max(scoreBin, 0)]! };
}

/** Learns one outcome: +1 to the observed bin of each predictor, the total and the observed score bin (none for -1). */
export function referenceAdaptiveUpdate(t: AdaptiveTable, counts: Float64Array, bins: ArrayLike<number>, scoreBin: number, positive: boolean): void {
  const l = instanceLayout(t);
  const shift = positive ? 0 : l.totalBins;
  counts[positive ? 0 : 1]! += 1;
  t.predictors.forEach((_, k) => {
    counts[2 + shift + l.binBase[k]! + bins[k]!]! += 1;
  });
  if (scoreBin >= 0) counts[2 + 2 * l.totalBins + (positive ? 0 : l.scoreBins) + scoreBin]! += 1;
}
