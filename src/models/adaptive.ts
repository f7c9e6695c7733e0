/**
 * Adaptive models (kind 4): Pega ADM-style naive Bayes over binned
 * predictors that learns from every outcome. This module owns the immutable
 * DEFINITION: compile (spec + optional seeding sample -> table), bundle
 * encoding, validation and placement. The learning state (counts per
 * instance) lives in src/adaptive/learning.ts; the kernels in
 * assembly/score/adaptive.ts; the formulas in docs/adaptive.md.
 *
 * Table (bundle form):
 *   instances             'model' | 'action' | 'action_channel': what one learning instance is per
 *   performanceThreshold  f64   a predictor is active when its AUC >= this (Pega's default 0.52)
 *   scoreThresholds       f64[] S - 1 ascending: score bin = number of thresholds <= score
 *   exploration           { method: 'none' | 'thompson' | 'epsilon', epsilon, rampStart, rampPositives }
 *   predictors[]          { name, feature (schema index), type,
 *                           numeric:     thresholds f32[] ascending -> bins (-inf,t0) [t0,t1) ... [tk-1,inf), missing
 *                           categorical: categories string[] (value bins, in order), codeToBin i32[] (code -> bin;
 *                                        categories.length = "other"), then "other" and "missing" bins }
 */
import { NextbestError } from '../errors.js';
import { readF32, readF64, readI32, toBin, describe } from '../bundle/binary.js';
import { hex, sha256 } from '../bundle/codec.js';
import type { EncodeOptions, FeatureDef, FeatureObject, FeatureSchema } from '../runtime/features.js';
import type { WasmInstance } from '../runtime/wasm.js';
import { MODEL_ID_PATTERN, requireNumber, requireObject, validateBase, writeHeader, type ModelTableBase } from './table.js';

/** What one learning instance of a model is kept per. */
export type InstanceScope = 'model' | 'action' | 'action_channel';
export type ExploreMethod = 'none' | 'thompson' | 'epsilon';

export interface AdaptivePredictor {
  /** The feature's name (reports, compatibility of learning state). */
  name: string;
  /** Index of the feature in the bundle schema. */
  feature: number;
  type: 'numeric' | 'categorical';
  /** Numeric: ascending f32 thresholds; value bins are (-inf, t0), [t0, t1), ..., [tk-1, +inf). */
  thresholds: Float32Array;
  /** Categorical: label of each value bin, in bin order. */
  categories: string[];
  /** Categorical: bin of each category code; categories.length means "other". */
  codeToBin: Int32Array;
}

export interface AdaptiveExploration {
  method: ExploreMethod;
  /** Epsilon-greedy: share of decisions that rank this model's actions by a uniform draw. */
  epsilon: number;
  /** Exposure ramp: share of decisions a new instance is admitted to (0..1). */
  rampStart: number;
  /** Exposure ramp: positives at which an instance is always admitted; 0 = no ramp. */
  rampPositives: number;
}

export interface AdaptiveTable extends ModelTableBase {
  kind: 'adaptive';
  instances: InstanceScope;
  performanceThreshold: number;
  scoreThresholds: Float64Array;
  exploration: AdaptiveExploration;
  predictors: AdaptivePredictor[];
}

/** How a predictor is binned (readable spec). */
export interface AdaptivePredictorSpec {
  /** Numeric: this many equal-frequency bins learned from the seeding sample (default 10). */
  bins?: number;
  /** Numeric: explicit ascending thresholds (no sample needed). */
  thresholds?: number[];
  /** Categorical: values that get their own bin; the others share "other". Default: the values seen in the sample, else the feature's dictionary. */
  categories?: string[];
  /** Categorical from a sample: a value needs this many occurrences for its own bin (default 1). */
  minCount?: number;
}

/** The readable form of an adaptive model (in a bundle spec under `adaptive:`, or `AdaptiveModel.create`). */
export interface AdaptiveSpec {
  id?: string;
  /** The feature schema; a bundle uses its own. Standalone, when omitted it is derived from the predictors. */
  features?: FeatureDef[];
  /** One learning instance per action (default), per action and channel, or one for the model. */
  instances?: InstanceScope;
  /** Predictors: a map name -> binning (null for defaults), or a list of names. */
  predictors: Record<string, AdaptivePredictorSpec | null> | string[];
  /** A predictor is active when its AUC (from its bins) is at least this; default 0.52. */
  performanceThreshold?: number;
  /** Score bins: a count (default 200, spaced finely near 0) or explicit ascending thresholds. */
  scoreBins?: number | number[];
  exploration?: {
    method?: ExploreMethod;
    epsilon?: number;
    /** Ramp exposure of new actions: admitted to `start` of decisions, rising linearly to all at `positives`. */
    ramp?: { start?: number; positives?: number } | false;
  };
}

export const DEFAULT_PERFORMANCE_THRESHOLD = 0.52;
export const DEFAULT_SCORE_BINS = 200;
export const DEFAULT_NUMERIC_BINS = 10;
/** Limits the kernels' static scratch is sized for (assembly/score/adaptive.ts). */
export const MAX_PREDICTORS = 1024;
export const MAX_PREDICTOR_BINS = 1024;
export const MAX_SCORE_BINS = 1024;
const MAX_CODES = 1 << 20;
const DEF_BYTES = 144;
const PRED_SIZE = 32;

function specError(id: string, msg: string): NextbestError {
  return new NextbestError('MODEL_INVALID', `adaptive model "${id}": ${msg}`);
}

/** The schema an adaptive spec implies when it gives none: categorical when categories are listed, else numeric. */
export function adaptiveSchemaFromSpec(spec: AdaptiveSpec): FeatureDef[] {
  if (spec.features) return spec.features;
  const entries = Array.isArray(spec.predictors) ? spec.predictors.map((n) => [n, null] as const) : Object.entries(spec.predictors ?? {});
  return entries.map(([name, p]) =>
    p && Array.isArray(p.categories) ? { name, type: 'categorical' as const, categories: [...p.categories] } : { name, type: 'numeric' as const },
  );
}

/**
 * Score thresholds spaced finely where scores usually are: t = 0.2 sinh(5.3 x)
 * for x evenly spaced in (-1, 1). With 200 bins: 0.01 wide at 0, about 0.05 at
 * +-1, 0.11 at +-2, covering +-20 (outside falls in the end bins).
 */
export function defaultScoreThresholds(bins: number): Float64Array {
  const t = new Float64Array(bins - 1);
  for (let j = 1; j < bins; j++) t[j - 1] = 0.2 * Math.sinh(5.3 * (-1 + (2 * j) / bins));
  return t;
}

/** Equal-frequency thresholds of f32 values: quantile cut points, deduplicated, above the minimum. */
export function equalFrequencyThresholds(values: Float32Array | number[], bins: number): Float32Array {
  const v = Float32Array.from(values).filter((x) => Number.isFinite(x)).sort();
  const out: number[] = [];
  if (v.length === 0) return new Float32Array(0);
  for (let j = 1; j < bins; j++) {
    const t = v[Math.floor((j * v.length) / bins)]!;
    if (t > v[0]! && (out.length === 0 || t > out[out.length - 1]!)) out.push(t);
  }
  return Float32Array.from(out);
}

function checkUnit(id: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw specError(id, `${what} must be a number in [0, 1], got ${describe(v)}`);
  return v;
}

/** Compiles a spec against a schema; `sample` (feature objects) seeds equal-frequency bins and category lists. */
export function compileAdaptive(spec: AdaptiveSpec, schema: FeatureSchema, sample?: readonly FeatureObject[], encode?: EncodeOptions): AdaptiveTable {
  if (spec === null || typeof spec !== 'object') throw new NextbestError('MODEL_INVALID', 'adaptive model: the spec must be an object');
  const id = spec.id ?? 'model';
  if (!MODEL_ID_PATTERN.test(id)) throw new NextbestError('MODEL_INVALID', `adaptive model: id "${id}" must match ${MODEL_ID_PATTERN}`);
  const instances = spec.instances ?? 'action';
  if (instances !== 'model' && instances !== 'action' && instances !== 'action_channel') {
    throw specError(id, `instances must be "model", "action" or "action_channel", got ${describe(instances)}`);
  }
  const performanceThreshold = spec.performanceThreshold ?? DEFAULT_PERFORMANCE_THRESHOLD;
  checkUnit(id, performanceThreshold, 'performanceThreshold');

  let scoreThresholds: Float64Array;
  const sb = spec.scoreBins ?? DEFAULT_SCORE_BINS;
  if (typeof sb === 'number') {
    if (!Number.isInteger(sb) || sb < 2 || sb > MAX_SCORE_BINS) throw specError(id, `scoreBins must be an integer in [2, ${MAX_SCORE_BINS}], got ${sb}`);
    scoreThresholds = defaultScoreThresholds(sb);
  } else if (Array.isArray(sb)) {
    scoreThresholds = Float64Array.from(sb as number[]);
    checkAscending(scoreThresholds, (m) => specError(id, `scoreBins: ${m}`));
    if (sb.length + 1 > MAX_SCORE_BINS) throw specError(id, `scoreBins: at most ${MAX_SCORE_BINS - 1} thresholds`);
  } else {
    throw specError(id, `scoreBins must be a number of bins or a list of ascending thresholds, got ${describe(sb)}`);
  }

  const ex = spec.exploration ?? {};
  if (ex === null || typeof ex !== 'object') throw specError(id, 'exploration must be a map');
  const method = ex.method ?? 'thompson';
  if (method !== 'none' && method !== 'thompson' && method !== 'epsilon') {
    throw specError(id, `exploration.method must be "thompson", "epsilon" or "none", got ${describe(method)}`);
  }
  const epsilon = checkUnit(id, ex.epsilon ?? (method === 'epsilon' ? 0.1 : 0), 'exploration.epsilon');
  let rampStart = 1;
  let rampPositives = 0;
  if (ex.ramp) {
    if (typeof ex.ramp !== 'object') throw specError(id, 'exploration.ramp must be { start, positives } or false');
    rampStart = checkUnit(id, ex.ramp.start ?? 0.02, 'exploration.ramp.start');
    rampPositives = ex.ramp.positives ?? 200;
    if (typeof rampPositives !== 'number' || !Number.isFinite(rampPositives) || rampPositives <= 0) {
      throw specError(id, `exploration.ramp.positives must be a positive number, got ${describe(ex.ramp.positives)}`);
    }
  }

  if (spec.predictors === null || typeof spec.predictors !== 'object') {
    throw specError(id, 'predictors must be a map of feature -> binning, or a list of feature names');
  }
  const entries: [string, AdaptivePredictorSpec | null][] = Array.isArray(spec.predictors)
    ? spec.predictors.map((n) => [n, null])
    : Object.entries(spec.predictors);
  if (entries.length === 0) throw specError(id, 'needs at least one predictor');
  if (entries.length > MAX_PREDICTORS) throw specError(id, `has ${entries.length} predictors; at most ${MAX_PREDICTORS}`);

  // The sample, encoded once (schema order, NaN for missing), so bins see what the kernel will see.
  let rows: Float32Array[] | undefined;
  if (sample !== undefined) {
    if (!Array.isArray(sample)) throw specError(id, 'the seeding sample must be an array of feature objects');
    rows = sample.map((r, i) => {
      try {
        return schema.encode(r, { ignoreUnknown: true, ...encode });
      } catch (e) {
        if (e instanceof NextbestError) throw specError(id, `sample row ${i + 1}: ${e.message}`);
        throw e;
      }
    });
  }

  const seen = new Set<string>();
  const predictors = entries.map(([name, p]): AdaptivePredictor => {
    if (typeof name !== 'string') throw specError(id, 'predictor names must be strings');
    if (seen.has(name)) throw specError(id, `predictor "${name}" is listed twice`);
    seen.add(name);
    const f = schema.indexOf(name);
    if (f < 0) throw new NextbestError('FEATURE_UNKNOWN', `adaptive model "${id}": predictor "${name}" is not a feature`, { feature: name });
    const ps = p ?? {};
    if (typeof ps !== 'object') throw specError(id, `predictor "${name}": expected a map of binning options or nothing`);
    const allowed = ['bins', 'thresholds', 'categories', 'minCount'];
    for (const k of Object.keys(ps)) if (!allowed.includes(k)) throw specError(id, `predictor "${name}": unknown option "${k}" (allowed: ${allowed.join(', ')})`);
    const column = rows?.map((r) => r[f]!);
    if (!schema.isCategorical(f)) {
      if (ps.categories !== undefined || ps.minCount !== undefined) throw specError(id, `predictor "${name}" is numeric: use bins or thresholds, not categories`);
      let thresholds: Float32Array;
      if (ps.thresholds !== undefined) {
        if (ps.bins !== undefined) throw specError(id, `predictor "${name}": give bins or thresholds, not both`);
        if (!Array.isArray(ps.thresholds) || ps.thresholds.some((t) => typeof t !== 'number')) {
          throw specError(id, `predictor "${name}": thresholds must be a list of numbers`);
        }
        thresholds = Float32Array.from(ps.thresholds);
        checkAscending(thresholds, (m) => specError(id, `predictor "${name}": thresholds ${m} (after rounding to float32)`));
      } else {
        const bins = ps.bins ?? DEFAULT_NUMERIC_BINS;
        if (!Number.isInteger(bins) || bins < 1 || bins > MAX_PREDICTOR_BINS - 2) {
          throw specError(id, `predictor "${name}": bins must be an integer in [1, ${MAX_PREDICTOR_BINS - 2}], got ${describe(bins)}`);
        }
        if (!column) {
          throw specError(id, `predictor "${name}": equal-frequency bins need a seeding sample (\`sample:\`), or give thresholds`);
        }
        thresholds = equalFrequencyThresholds(column, bins);
      }
      if (thresholds.length > MAX_PREDICTOR_BINS - 2) throw specError(id, `predictor "${name}": at most ${MAX_PREDICTOR_BINS - 2} thresholds`);
      return { name, feature: f, type: 'numeric', thresholds, categories: [], codeToBin: new Int32Array(0) };
    }
    if (ps.bins !== undefined || ps.thresholds !== undefined) throw specError(id, `predictor "${name}" is categorical: use categories, not bins or thresholds`);
    const def = schema.defs[f]!;
    const dict = def.categories;
    let codes: number[];
    if (ps.categories !== undefined) {
      if (!Array.isArray(ps.categories) || ps.categories.some((c) => typeof c !== 'string' && typeof c !== 'number')) {
        throw specError(id, `predictor "${name}": categories must be a list of values`);
      }
      codes = ps.categories.map((c) => {
        const s = String(c);
        let code = schema.categoryCode(f, s);
        if (code < 0 && !dict && /^\d+$/.test(s)) code = Number(s);
        if (code < 0) throw specError(id, `predictor "${name}": "${s}" is not a category of the feature`);
        return code;
      });
      if (new Set(codes).size !== codes.length) throw specError(id, `predictor "${name}": a category is listed twice`);
    } else if (column) {
      const minCount = ps.minCount ?? 1;
      if (!Number.isInteger(minCount) || minCount < 1) throw specError(id, `predictor "${name}": minCount must be a positive integer`);
      const counts = new Map<number, number>();
      for (const x of column) if (!Number.isNaN(x)) counts.set(x, (counts.get(x) ?? 0) + 1);
      codes = [...counts].filter(([, c]) => c >= minCount).map(([code]) => code).sort((a, b) => a - b);
    } else if (dict) {
      codes = dict.map((_, i) => i);
    } else {
      throw specError(id, `predictor "${name}": the feature has no dictionary; list its categories or give a seeding sample`);
    }
    if (codes.length > MAX_PREDICTOR_BINS - 2) {
      throw specError(id, `predictor "${name}": ${codes.length} categories; at most ${MAX_PREDICTOR_BINS - 2} get their own bin (list the important ones, or raise minCount)`);
    }
    const codeCount = dict ? dict.length : Math.max(0, ...codes.map((c) => c + 1));
    if (codeCount > MAX_CODES) throw specError(id, `predictor "${name}": category codes up to ${codeCount}; at most ${MAX_CODES}`);
    const codeToBin = new Int32Array(codeCount).fill(codes.length);
    codes.forEach((code, bin) => {
      codeToBin[code] = bin;
    });
    return { name, feature: f, type: 'categorical', thresholds: new Float32Array(0), categories: codes.map((c) => (dict ? dict[c]! : String(c))), codeToBin };
  });

  return adaptiveTable(id, instances, performanceThreshold, scoreThresholds, { method, epsilon, rampStart, rampPositives }, predictors);
}

function adaptiveTable(
  id: string,
  instances: InstanceScope,
  performanceThreshold: number,
  scoreThresholds: Float64Array,
  exploration: AdaptiveExploration,
  predictors: AdaptivePredictor[],
): AdaptiveTable {
  return { kind: 'adaptive', id, nGroups: 1, nOutputs: 1, transform: 'identity', instances, performanceThreshold, scoreThresholds, exploration, predictors };
}

function checkAscending(t: Float32Array | Float64Array, err: (m: string) => NextbestError): void {
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i]!)) throw err(`must be finite (item ${i})`);
    if (i > 0 && !(t[i]! > t[i - 1]!)) throw err(`must be strictly ascending (item ${i})`);
  }
}

/** Bins of a predictor: value bins, then "other" (categorical), then "missing". */
export function predictorBinCount(p: AdaptivePredictor): number {
  return p.type === 'numeric' ? p.thresholds.length + 2 : p.categories.length + 2;
}

/** Readable label of each bin of a predictor, in bin order. */
export function predictorBinLabels(p: AdaptivePredictor): string[] {
  if (p.type === 'categorical') return [...p.categories, 'other', 'missing'];
  const t = [...p.thresholds];
  if (t.length === 0) return ['all', 'missing'];
  const labels = [`< ${t[0]}`];
  for (let i = 1; i < t.length; i++) labels.push(`[${t[i - 1]}, ${t[i]})`);
  labels.push(`>= ${t[t.length - 1]}`, 'missing');
  return labels;
}

/**
 * A digest of what learning state depends on (predictor names and bins,
 * score bins): snapshots merge only into a model with the same shape, so a
 * rebuilt bundle with the same binning keeps its learning.
 */
export function adaptiveShape(t: AdaptiveTable): string {
  const desc = JSON.stringify({
    predictors: t.predictors.map((p) => ({ name: p.name, type: p.type, bins: predictorBinLabels(p) })),
    scoreThresholds: [...t.scoreThresholds],
  });
  return hex(sha256(new TextEncoder().encode(desc))).slice(0, 32);
}

/** Byte offsets within an instance (assembly/score/adaptive.ts), derived from the table. */
export interface InstanceLayout {
  nPredictors: number;
  totalBins: number;
  scoreBins: number;
  /** Where the counts start and how many f64 they are: positives, negatives, binPos[B], binNeg[B], scorePos[S], scoreNeg[S]. */
  counts: number;
  countsLength: number;
  binPos: number;
  binNeg: number;
  scorePos: number;
  scoreNeg: number;
  binLogPos: number;
  binLogNeg: number;
  binLogOdds: number;
  auc: number;
  classifier: number;
  active: number;
  bytes: number;
  /** First bin of each predictor. */
  binBase: Int32Array;
  binCount: Int32Array;
}

export function instanceLayout(t: AdaptiveTable): InstanceLayout {
  const P = t.predictors.length;
  const binBase = new Int32Array(P);
  const binCount = new Int32Array(P);
  let B = 0;
  t.predictors.forEach((p, i) => {
    binBase[i] = B;
    binCount[i] = predictorBinCount(p);
    B += binCount[i]!;
  });
  const S = t.scoreThresholds.length + 1;
  const counts = 32;
  const binPos = counts + 16;
  const binNeg = binPos + 8 * B;
  const scorePos = binNeg + 8 * B;
  const scoreNeg = scorePos + 8 * S;
  const binLogPos = scoreNeg + 8 * S;
  const binLogNeg = binLogPos + 8 * B;
  const binLogOdds = binLogNeg + 8 * B;
  const auc = binLogOdds + 8 * B;
  const classifier = auc + 8 * P;
  const active = classifier + 8 * S;
  const bytes = Math.ceil((active + 8 * P) / 16) * 16;
  return {
    nPredictors: P,
    totalBins: B,
    scoreBins: S,
    counts,
    countsLength: 2 + 2 * B + 2 * S,
    binPos,
    binNeg,
    scorePos,
    scoreNeg,
    binLogPos,
    binLogNeg,
    binLogOdds,
    auc,
    classifier,
    active,
    bytes,
    binBase,
    binCount,
  };
}

export function adaptiveToBundle(t: AdaptiveTable): Record<string, unknown> {
  return {
    kind: t.kind,
    id: t.id,
    nGroups: t.nGroups,
    nOutputs: t.nOutputs,
    transform: t.transform,
    instances: t.instances,
    performanceThreshold: t.performanceThreshold,
    scoreThresholds: toBin(t.scoreThresholds),
    exploration: { ...t.exploration },
    predictors: t.predictors.map((p) =>
      p.type === 'numeric'
        ? { name: p.name, feature: p.feature, type: p.type, thresholds: toBin(p.thresholds) }
        : { name: p.name, feature: p.feature, type: p.type, categories: [...p.categories], codeToBin: toBin(p.codeToBin) },
    ),
  };
}

function invalid(what: string, msg: string): NextbestError {
  return new NextbestError('BUNDLE_INVALID', `${what}: ${msg}`);
}

/** Validates a decoded adaptive table; every index, count and threshold is checked. */
export function validateAdaptive(o: Record<string, unknown>, numFeatures: number, what: string): AdaptiveTable {
  validateBase(o, what);
  if (o.nGroups !== 1 || o.transform !== 'identity') throw invalid(what, 'an adaptive model has one group and the identity transform');
  const instances = o.instances;
  if (instances !== 'model' && instances !== 'action' && instances !== 'action_channel') {
    throw invalid(what, `instances must be model, action or action_channel, got ${describe(instances)}`);
  }
  const performanceThreshold = requireNumber(o.performanceThreshold, `${what}.performanceThreshold`, { min: 0, max: 1 });
  const scoreThresholds = readF64(o.scoreThresholds, `${what}.scoreThresholds`);
  if (scoreThresholds.length + 1 > MAX_SCORE_BINS) throw invalid(what, `at most ${MAX_SCORE_BINS} score bins`);
  checkAscending(scoreThresholds, (m) => invalid(what, `scoreThresholds ${m}`));
  const ex = requireObject(o.exploration, `${what}.exploration`);
  const method = ex.method;
  if (method !== 'none' && method !== 'thompson' && method !== 'epsilon') throw invalid(what, `unknown exploration method ${describe(method)}`);
  const exploration: AdaptiveExploration = {
    method,
    epsilon: requireNumber(ex.epsilon, `${what}.exploration.epsilon`, { min: 0, max: 1 }),
    rampStart: requireNumber(ex.rampStart, `${what}.exploration.rampStart`, { min: 0, max: 1 }),
    rampPositives: requireNumber(ex.rampPositives, `${what}.exploration.rampPositives`, { min: 0 }),
  };
  if (!Array.isArray(o.predictors)) throw invalid(what, 'predictors must be an array');
  if (o.predictors.length === 0 || o.predictors.length > MAX_PREDICTORS) throw invalid(what, `needs 1 to ${MAX_PREDICTORS} predictors`);
  const names = new Set<string>();
  const predictors = o.predictors.map((raw, i): AdaptivePredictor => {
    const at = `${what}.predictors[${i}]`;
    const p = requireObject(raw, at);
    if (typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 256) throw invalid(at, 'name must be a non-empty string');
    if (names.has(p.name)) throw invalid(at, `predictor "${p.name}" appears twice`);
    names.add(p.name);
    const feature = requireNumber(p.feature, `${at}.feature`, { integer: true, min: 0, max: numFeatures - 1 });
    if (p.type === 'numeric') {
      const thresholds = readF32(p.thresholds, `${at}.thresholds`);
      if (thresholds.length > MAX_PREDICTOR_BINS - 2) throw invalid(at, `at most ${MAX_PREDICTOR_BINS - 2} thresholds`);
      checkAscending(thresholds, (m) => invalid(at, `thresholds ${m}`));
      return { name: p.name, feature, type: 'numeric', thresholds, categories: [], codeToBin: new Int32Array(0) };
    }
    if (p.type !== 'categorical') throw invalid(at, `type must be numeric or categorical, got ${describe(p.type)}`);
    if (!Array.isArray(p.categories) || p.categories.some((c) => typeof c !== 'string')) throw invalid(at, 'categories must be an array of strings');
    const categories = p.categories as string[];
    if (categories.length > MAX_PREDICTOR_BINS - 2) throw invalid(at, `at most ${MAX_PREDICTOR_BINS - 2} categories`);
    const codeToBin = readI32(p.codeToBin, `${at}.codeToBin`);
    if (codeToBin.length > MAX_CODES) throw invalid(at, `codeToBin covers ${codeToBin.length} codes; at most ${MAX_CODES}`);
    for (let c = 0; c < codeToBin.length; c++) {
      const b = codeToBin[c]!;
      if (b < 0 || b > categories.length) throw invalid(at, `codeToBin[${c}] = ${b} is outside bins 0..${categories.length}`);
    }
    return { name: p.name, feature, type: 'categorical', thresholds: new Float32Array(0), categories: [...categories], codeToBin };
  });
  return adaptiveTable(o.id as string, instances, performanceThreshold, scoreThresholds, exploration, predictors);
}

const EXPLORE_CODES: Record<ExploreMethod, number> = { none: 0, thompson: 1, epsilon: 2 };

/** Places a validated definition in wasm memory (layout in assembly/score/adaptive.ts); returns the model pointer. */
export function placeAdaptive(wasm: WasmInstance, t: AdaptiveTable): number {
  const layout = instanceLayout(t);
  const tables = t.predictors.map((p) =>
    p.type === 'numeric' ? wasm.place(p.thresholds.length ? p.thresholds : new Float32Array(1)) : wasm.place(p.codeToBin.length ? p.codeToBin : new Int32Array(1)),
  );
  const scoreT = wasm.place(t.scoreThresholds.length ? t.scoreThresholds : new Float64Array(1));
  const preds = wasm.alloc(t.predictors.length * PRED_SIZE, 16);
  const model = wasm.alloc(DEF_BYTES, 16);
  const { i32, f64 } = wasm;
  writeHeader(i32, model, t);
  const m = model >> 2;
  i32[m + 8] = t.predictors.length; // +32
  i32[m + 9] = 0; // +36 scoreInstance
  i32[m + 10] = preds; // +40
  i32[m + 11] = layout.totalBins; // +44
  i32[m + 12] = layout.scoreBins; // +48
  i32[m + 13] = scoreT; // +52
  f64[(model + 56) >> 3] = t.performanceThreshold;
  i32[m + 16] = EXPLORE_CODES[t.exploration.method]; // +64
  f64[(model + 72) >> 3] = t.exploration.epsilon;
  f64[(model + 80) >> 3] = t.exploration.rampStart;
  f64[(model + 88) >> 3] = t.exploration.rampPositives;
  const offsets = [
    layout.binPos,
    layout.binNeg,
    layout.scorePos,
    layout.scoreNeg,
    layout.binLogPos,
    layout.binLogNeg,
    layout.binLogOdds,
    layout.auc,
    layout.classifier,
    layout.active,
    layout.bytes,
  ];
  offsets.forEach((v, k) => {
    i32[m + 24 + k] = v; // +96 ... +136
  });
  t.predictors.forEach((p, k) => {
    const b = (preds + k * PRED_SIZE) >> 2;
    const nBins = layout.binCount[k]!;
    i32[b] = p.feature * 4;
    i32[b + 1] = p.type === 'numeric' ? 0 : 1;
    i32[b + 2] = nBins;
    i32[b + 3] = layout.binBase[k]!;
    i32[b + 4] = tables[k]!;
    i32[b + 5] = p.type === 'numeric' ? p.thresholds.length : p.codeToBin.length;
    i32[b + 6] = nBins - 1;
    i32[b + 7] = p.type === 'numeric' ? -1 : nBins - 2;
  });
  return model;
}

/** A one-line summary for `nextbest inspect`. */
export function summarizeAdaptive(t: AdaptiveTable): string {
  const l = instanceLayout(t);
  return `${t.predictors.length} predictors, ${l.totalBins} bins, ${l.scoreBins} score bins, per ${t.instances}, ${t.exploration.method}; ${l.bytes} bytes per instance`;
}

