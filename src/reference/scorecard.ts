/**
 * Plain-TypeScript twin of assembly/score/scorecard.ts, for differential tests
 * and as the plain-JS peer in benchmarks. Same bin rules (thresholds are f32
 * values and rows are f32, so f64 comparisons here equal the kernel's f32
 * ones), same summation order in f64, one rounding to f32: results are
 * bitwise equal. The threshold search is a plain scan (the kernel bisects long
 * lists and scans short ones with SIMD), which the differential tests cross-check.
 */
import type { ScorecardTable } from '../models/scorecard.js';

/** The global bin of characteristic c for value x. */
export function referenceScorecardBin(t: ScorecardTable, c: number, x: number): number {
  if (Number.isNaN(x)) return t.missingBin[c]!;
  const look = t.lookStart[c]!;
  if (t.charKinds[c] === 0) {
    const t0 = t.thrStart[c]!;
    const tn = t.thrCount[c]!;
    let i = 0;
    while (i < tn && x >= t.thresholds[t0 + i]!) i++;
    return t.lookup[look + i]!;
  }
  if (x >= 0 && x < t.lookCount[c]! && Number.isInteger(x)) return t.lookup[look + x]!;
  return t.otherBin[c]!;
}

/**
 * Score of one row (f32-rounded, as the kernel returns it); when `bins` is given,
 * the bin of each characteristic is written to it.
 */
export function referenceScorecardMargin(t: ScorecardTable, row: Float32Array, offset = 0, bins?: Int32Array): number {
  let sum = t.basePoints;
  const n = t.features.length;
  for (let c = 0; c < n; c++) {
    const bin = referenceScorecardBin(t, c, row[offset + t.features[c]!]!);
    if (bins) bins[c] = bin;
    sum += t.points[bin]!;
  }
  return Math.fround(sum);
}
