/**
 * Plain-TypeScript twin of assembly/score/linear.ts, for differential tests
 * and as the plain-JS peer in benchmarks. Same summation order, same f64
 * arithmetic, one rounding to f32 at the end: results are bitwise equal.
 */
import type { LinearTable } from '../models/linear.js';

export function referenceLinearMargin(t: LinearTable, row: Float32Array, offset = 0): number {
  let sum = t.intercept;
  const n = t.features.length;
  for (let k = 0; k < n; k++) {
    const x = row[offset + t.features[k]!]!;
    if (t.termKinds[k] === 0) {
      sum += t.weights[k]! * (Number.isNaN(x) ? t.missing[k]! : x);
    } else if (Number.isNaN(x)) {
      sum += t.missing[k]!;
    } else if (x >= 0 && x < t.catCount[k]! && Number.isInteger(x)) {
      sum += t.catWeights[t.catStart[k]! + x]!;
    }
  }
  return Math.fround(sum);
}
