/**
 * Scorecard explanations: the score, the bin and points of every
 * characteristic, and the reason codes that cost the customer the most points.
 *
 * The bins come from the kernel (`scorecardExplain` writes each
 * characteristic's bin and points for the row), so an explanation always
 * matches the score it explains. Reason codes use the "points below maximum"
 * method of credit scoring:
 *   1. per characteristic, pointsBelowMax = maxPoints - points, where maxPoints
 *      is the most points any bin of the characteristic gives (every bin is
 *      reachable, including missing and other; validation guarantees it);
 *   2. each characteristic with pointsBelowMax > 0 adds it to the reason code of
 *      its bin (the bin's own code, else the characteristic's, else its name);
 *      characteristics sharing a code add up, in characteristic order, in f64;
 *   3. codes are ranked by their total, largest first; equal totals rank by the
 *      position of the code's first contributing characteristic in the
 *      scorecard; the first k are returned (default 4, the number of principal
 *      reasons adverse-action notices usually give). A customer at the maximum
 *      of every characteristic has no reason codes.
 */
import { NextbestError } from '../errors.js';
import { wasmError } from '../runtime/wasm.js';
import type { EncodeOptions, FeatureObject, FeatureSchema } from '../runtime/features.js';
import type { ModelHost } from './host.js';
import type { ScorecardTable } from './scorecard.js';

export const DEFAULT_REASON_CODES = 4;
const RECORD_BYTES = 16;

export interface ScorecardCharacteristicExplanation {
  name: string;
  feature: string;
  /** Index of the bin in the characteristic's spec `bins`, or 'missing' / 'other'. */
  bin: number | 'missing' | 'other';
  label: string;
  points: number;
  /** The most points any bin of this characteristic gives. */
  maxPoints: number;
  /** maxPoints - points (>= 0). */
  pointsBelowMax: number;
  /** The reason code of the bin (bin-level code, else the characteristic's). */
  reasonCode: string;
}

export interface ScorecardReason {
  code: string;
  /** Points below maximum, summed over the characteristics that gave this code. */
  pointsBelowMax: number;
  /** Names of those characteristics, in scorecard order. */
  characteristics: string[];
}

export interface ScorecardExplanation {
  /** The score, exactly as `margin` returns it (float32). */
  score: number;
  /** With odds scaling: the probability, exactly as `predict` returns it. */
  probability?: number;
  /** Every characteristic, in scorecard order. */
  characteristics: ScorecardCharacteristicExplanation[];
  /** The top-k reason codes, most points lost first. */
  reasons: ScorecardReason[];
}

/** The most points each characteristic can give (the reference of "points below maximum"). */
export function maxPointsPerCharacteristic(t: ScorecardTable): Float64Array {
  const n = t.features.length;
  const out = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    let m = -Infinity;
    for (let b = t.binStart[c]!; b < t.binStart[c]! + t.binCount[c]!; b++) m = Math.max(m, t.points[b]!);
    out[c] = m;
  }
  return out;
}

/** Ranks reason codes from each characteristic's bin and points (see the file header for the method). */
export function rankReasonCodes(t: ScorecardTable, bins: Int32Array, points: Float64Array, maxPoints: Float64Array, k: number): ScorecardReason[] {
  const byCode = new Map<number, ScorecardReason>();
  for (let c = 0; c < t.features.length; c++) {
    const lost = maxPoints[c]! - points[c]!;
    if (!(lost > 0)) continue;
    const r = t.binReason[bins[c]!]!;
    const entry = byCode.get(r);
    if (entry) {
      entry.pointsBelowMax += lost;
      entry.characteristics.push(t.names[c]!);
    } else {
      byCode.set(r, { code: t.reasonCodes[r]!, pointsBelowMax: lost, characteristics: [t.names[c]!] });
    }
  }
  // Map order is first appearance and Array.prototype.sort is stable: ties keep scorecard order.
  return [...byCode.values()].sort((a, b) => b.pointsBelowMax - a.pointsBelowMax).slice(0, k);
}

/** Kernel scratch and precomputed maxima of one placed scorecard. */
class ScorecardExplainer {
  private readonly host: ModelHost;
  private readonly table: ScorecardTable;
  private readonly recPtr: number;
  private readonly maxPoints: Float64Array;
  private readonly bins: Int32Array;
  private readonly points: Float64Array;
  private readonly prediction = new Float32Array(1);

  constructor(host: ModelHost, table: ScorecardTable) {
    this.host = host;
    this.table = table;
    const n = table.features.length;
    this.recPtr = host.wasm.alloc(n * RECORD_BYTES, 16);
    this.maxPoints = maxPointsPerCharacteristic(table);
    this.bins = new Int32Array(n);
    this.points = new Float64Array(n);
  }

  explain(row: Float32Array | FeatureObject, k: number, schema: FeatureSchema, opts: EncodeOptions | undefined): ScorecardExplanation {
    const t = this.table;
    const host = this.host;
    // Encodes the row into the host's input scratch and runs the normal predict path on it.
    host.runOne(row, schema, this.prediction, true, opts);
    let score: number;
    try {
      score = host.wasm.exports.scorecardExplain(host.ptr, host.inputPtr, this.recPtr);
    } catch (e) {
      throw wasmError(e);
    }
    const { i32, f64 } = host.wasm;
    const n = t.features.length;
    const characteristics: ScorecardCharacteristicExplanation[] = new Array(n);
    for (let c = 0; c < n; c++) {
      const rec = this.recPtr + c * RECORD_BYTES;
      const bin = i32[rec >> 2]!;
      const points = f64[(rec + 8) >> 3]!;
      this.bins[c] = bin;
      this.points[c] = points;
      const maxPoints = this.maxPoints[c]!;
      characteristics[c] = {
        name: t.names[c]!,
        feature: schema.names[t.features[c]!]!,
        bin: bin === t.missingBin[c] ? 'missing' : bin === t.otherBin[c] ? 'other' : bin - t.binStart[c]!,
        label: t.binLabels[bin]!,
        points,
        maxPoints,
        pointsBelowMax: maxPoints - points,
        reasonCode: t.reasonCodes[t.binReason[bin]!]!,
      };
    }
    const reasons = rankReasonCodes(t, this.bins, this.points, this.maxPoints, k);
    return {
      score,
      ...(t.transform === 'scaledSigmoid' ? { probability: this.prediction[0]! } : {}),
      characteristics,
      reasons,
    };
  }
}

const explainers = new WeakMap<ModelHost, ScorecardExplainer>();

/**
 * Explains one row scored by a placed model: MODEL_KIND unless it is a
 * scorecard, ARGUMENT_INVALID for a bad k. The kernel scratch is allocated on
 * the first call and reused.
 */
export function explainScorecard(
  host: ModelHost,
  schema: FeatureSchema,
  row: Float32Array | FeatureObject,
  k: number = DEFAULT_REASON_CODES,
  opts?: EncodeOptions,
): ScorecardExplanation {
  const t = host.table;
  if (t.kind !== 'scorecard') {
    throw new NextbestError('MODEL_KIND', `explain needs a scorecard; model "${t.id}" is a ${t.kind} model`, { model: t.id, kind: t.kind });
  }
  if (typeof k !== 'number' || !(Number.isInteger(k) || k === Infinity) || k < 0) {
    throw new NextbestError('ARGUMENT_INVALID', `k (the number of reason codes) must be a non-negative integer, got ${String(k).slice(0, 40)}`);
  }
  let ex = explainers.get(host);
  if (!ex) {
    ex = new ScorecardExplainer(host, t);
    explainers.set(host, ex);
  }
  return ex.explain(row, k, schema, opts);
}
