/**
 * Scorecards: a base score plus, for each characteristic (one feature), the
 * points of the one bin the customer's value falls in. Numeric bins are
 * half-open intervals [from, below), compared in float32 like the inputs: a
 * value equal to a bound belongs to the bin that starts there. Categorical bins are sets of categories. Every
 * characteristic has a missing bin (NaN) and, where values can fall outside
 * the listed bins, an "other" bin. Optional odds scaling turns the score into
 * a probability: odds = baseOdds * 2^((score - baseScore) / pdo).
 *
 * Table (bundle form; per characteristic arrays have nChars entries, bins are
 * global to the model and grouped by characteristic in order):
 *   basePoints  f64       points every row starts with
 *   scaling     {pdo, baseScore, baseOdds}  only with transform scaledSigmoid
 *   names       string[]  characteristic names
 *   features    i32[]     schema index
 *   charKinds   u8[]      0 numeric, 1 categorical
 *   binStart    i32[]     first bin; characteristic c owns [binStart, binStart + binCount)
 *   binCount    i32[]
 *   thrStart    i32[]     numeric: first entry in thresholds (categorical: 0)
 *   thrCount    i32[]     numeric: number of thresholds (categorical: 0)
 *   lookStart   i32[]     first entry in lookup
 *   lookCount   i32[]     numeric: thrCount + 1 (bin per interval); categorical: codes (bin per code)
 *   missingBin  i32[]     bin of a missing (NaN) value
 *   otherBin    i32[]     categorical: bin of a code outside the lookup or not an integer;
 *                         numeric: the bin the uncovered intervals map to, or -1
 *   thresholds  f32[]     strictly increasing and finite per characteristic
 *   lookup      i32[]     global bin indices
 *   points      f64[]     per bin
 *   binReason   i32[]     per bin: index into reasonCodes
 *   binLabels   string[]  per bin, for explanations
 *   reasonCodes string[]
 * Validation also checks that every bin is reachable from its characteristic's
 * lookup, missing or other entry, so the maximum points of a characteristic
 * (the reference of reason codes) is the maximum over its bins.
 */
import { NextbestError, type ErrorCode } from '../errors.js';
import { describe, readF32, readF64, readI32, readU8, toBin } from '../bundle/binary.js';
import type { FeatureDef, FeatureSchema } from '../runtime/features.js';
import type { WasmInstance } from '../runtime/wasm.js';
import { HEADER_SIZE, MODEL_ID_PATTERN, requireNumber, requireObject, validateBase, writeHeader, type ModelTableBase } from './table.js';

/** Odds scaling: a score of `baseScore` means odds `baseOdds`; every `pdo` points double the odds. */
export interface ScorecardScaling {
  /** Points to double the odds (negative: the odds halve as the score rises). */
  pdo: number;
  /** The score at which the odds are `baseOdds`. */
  baseScore: number;
  /** Odds p / (1 - p) of the predicted outcome at `baseScore`; > 0. */
  baseOdds: number;
}

/** One bin of a characteristic: numeric `[from, below)` or a set of categories. */
export interface ScorecardBin {
  /** Numeric: inclusive lower bound; omitted = -infinity. */
  from?: number;
  /** Numeric: exclusive upper bound; omitted = +infinity. */
  below?: number;
  /** Categorical: the categories (dictionary strings, or integer codes for a feature without a dictionary). */
  categories?: (string | number)[];
  points: number;
  /** Overrides the characteristic's reason code for this bin. */
  reasonCode?: string;
  /** Shown in explanations; default `[from, below)`, `< below`, `>= from` or the category list. */
  label?: string;
}

/** The missing or other bin: points alone, or points with a reason code and label. */
export type ScorecardSpecialBin = number | { points: number; reasonCode?: string; label?: string };

export interface ScorecardCharacteristic {
  /** Unique name, default the feature name. */
  name?: string;
  feature: string;
  /** Reason code reported when this characteristic costs points; default its name. Bins may override it. */
  reasonCode?: string;
  bins: ScorecardBin[];
  /** Points of a missing value (NaN); default 0. */
  missing?: ScorecardSpecialBin;
  /**
   * Points of a value no bin holds: a numeric value in a gap between bins, a
   * category code outside the listed ones. Required when numeric bins leave gaps
   * or dictionary categories are unlisted. Without it, a code outside the lists
   * (from a raw vector, or a feature without a dictionary) scores as missing;
   * numeric bins that cover every value never use it.
   */
  other?: ScorecardSpecialBin;
}

/** The readable form users write (in a bundle spec or `Model.fromScorecard`). */
export interface ScorecardSpec {
  id?: string;
  /** The feature schema; when omitted it is derived from the characteristics. */
  features?: FeatureDef[];
  /** Points every row starts with (the intercept); default 0. */
  basePoints?: number;
  /** Turns the score into a probability (predict); without it predict returns the score. */
  scaling?: ScorecardScaling;
  characteristics: ScorecardCharacteristic[];
}

export interface ScorecardTable extends ModelTableBase {
  kind: 'scorecard';
  transform: 'identity' | 'scaledSigmoid';
  basePoints: number;
  scaling: ScorecardScaling | null;
  names: string[];
  features: Int32Array;
  charKinds: Uint8Array;
  binStart: Int32Array;
  binCount: Int32Array;
  thrStart: Int32Array;
  thrCount: Int32Array;
  lookStart: Int32Array;
  lookCount: Int32Array;
  missingBin: Int32Array;
  otherBin: Int32Array;
  thresholds: Float32Array;
  lookup: Int32Array;
  points: Float64Array;
  binReason: Int32Array;
  binLabels: string[];
  reasonCodes: string[];
}

/** Points, base points and scaling parameters are bounded so no sum can overflow. */
export const POINTS_LIMIT = 1e12;
/** Category codes a compiled characteristic may list (its lookup has max code + 1 entries). */
const SPEC_MAX_CODE = (1 << 20) - 1;
/** Codes a validated lookup may hold: beyond 2^24 float32 no longer represents every integer. */
const TABLE_MAX_CODES = 1 << 24;
const MAX_CHARS = 1 << 16;
const MAX_TEXT = 256;
const F32_MAX = 3.4028234663852886e38;
const CHAR_SIZE = 32;

const SPEC_KEYS = ['id', 'features', 'basePoints', 'scaling', 'characteristics'];
const CHAR_KEYS = ['name', 'feature', 'reasonCode', 'bins', 'missing', 'other'];
const NUMERIC_BIN_KEYS = ['from', 'below', 'points', 'reasonCode', 'label'];
const CATEGORICAL_BIN_KEYS = ['categories', 'points', 'reasonCode', 'label'];
const SPECIAL_BIN_KEYS = ['points', 'reasonCode', 'label'];
const SCALING_KEYS = ['pdo', 'baseScore', 'baseOdds'];

/** A spec error; `path` locates the offending field inside the spec (the spec compiler maps it to a line). */
function specError(id: string, msg: string, path: (string | number)[] = [], code: ErrorCode = 'MODEL_INVALID'): NextbestError {
  return new NextbestError(code, `scorecard "${id}": ${msg}`, { specPath: path });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The schema a scorecard spec implies when it does not give one: bins with categories make a feature categorical. */
export function scorecardSchemaFromSpec(spec: ScorecardSpec): FeatureDef[] {
  if (spec?.features) return spec.features;
  const defs = new Map<string, FeatureDef>();
  for (const ch of Array.isArray(spec?.characteristics) ? spec.characteristics : []) {
    if (!isPlainObject(ch) || typeof ch.feature !== 'string' || defs.has(ch.feature)) continue;
    const bins = Array.isArray(ch.bins) ? ch.bins.filter(isPlainObject) : [];
    const cats = bins.flatMap((b) => (Array.isArray(b.categories) ? b.categories : []));
    if (!bins.some((b) => b.categories !== undefined)) {
      defs.set(ch.feature, { name: ch.feature, type: 'numeric' });
    } else if (cats.length > 0 && cats.every((c) => typeof c === 'number')) {
      defs.set(ch.feature, { name: ch.feature, type: 'categorical' });
    } else {
      defs.set(ch.feature, { name: ch.feature, type: 'categorical', categories: [...new Set(cats.map((c) => String(c)))] });
    }
  }
  return [...defs.values()];
}

function numericLabel(from: number, below: number): string {
  if (from === -Infinity && below === Infinity) return 'any value';
  if (from === -Infinity) return `< ${below}`;
  if (below === Infinity) return `>= ${from}`;
  return `[${from}, ${below})`;
}

interface BuiltBin {
  points: number;
  reason: string;
  label: string;
}

type SpecPath = (string | number)[];

/** Checks spec values and builds errors that name the model and locate the field. */
class SpecChecker {
  constructor(readonly id: string) {}

  error(msg: string, path: SpecPath = [], code: ErrorCode = 'MODEL_INVALID'): NextbestError {
    return specError(this.id, msg, path, code);
  }

  keys(o: Record<string, unknown>, allowed: readonly string[], what: string, path: SpecPath): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) throw this.error(`${what}: unknown field "${k.slice(0, 64)}" (allowed: ${allowed.join(', ')})`, [...path, k]);
    }
  }

  points(v: unknown, what: string, path: SpecPath): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > POINTS_LIMIT) {
      throw this.error(`${what}: points must be a finite number within ±${POINTS_LIMIT}, got ${describe(v)}`, path);
    }
    return v;
  }

  text(v: unknown, what: string, path: SpecPath): string {
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) {
      throw this.error(`${what} must be a non-empty string of at most ${MAX_TEXT} characters, got ${describe(v)}`, path);
    }
    return v;
  }
}

/** A spec bin of one characteristic, checked for its common fields; `raw` keeps the kind-specific ones. */
interface SpecBin extends BuiltBin {
  raw: Record<string, unknown>;
}

/** How one characteristic's values map to its spec bins: -1 is "no bin" (other). */
interface BinMapping {
  /** Numeric: sorted float32 thresholds (categorical: none). */
  thresholds: number[];
  /** Per interval (numeric) or per category code (categorical): the spec bin index, or -1. */
  lookup: number[];
  /** Some values reach no spec bin: numeric gaps, unlisted codes. */
  uncovered: boolean;
}

/**
 * Numeric bins [from, below). Bounds compare in float32, the precision of the
 * inputs: a bound is rounded to the nearest float32 like a value written in a
 * row, so a value that reads the same as a bound (0.7 and 0.7) equals it and
 * opens the bin. Bins must not overlap; gaps need `other`.
 */
function mapNumericBins(ck: SpecChecker, where: string, at: SpecPath, bins: SpecBin[], hasOther: boolean): BinMapping {
  const iv = bins.map((b, j) => {
    const path = [...at, 'bins', j];
    const bound = (k: 'from' | 'below', unbounded: number): number => {
      const v = b.raw[k];
      if (v === undefined) return unbounded;
      if (typeof v !== 'number' || Number.isNaN(v)) throw ck.error(`${where}, bin ${j}: ${k} must be a number, got ${describe(v)}`, [...path, k]);
      if (Number.isFinite(v) && Math.abs(v) > F32_MAX) {
        throw ck.error(`${where}, bin ${j}: ${k} = ${v} is outside the float32 range of the inputs`, [...path, k]);
      }
      return v;
    };
    const from = bound('from', -Infinity);
    const below = bound('below', Infinity);
    if (!(from < below)) throw ck.error(`${where}, bin ${j}: from (${from}) must be below \`below\` (${below})`, path);
    const lo = Math.fround(from);
    const hi = Math.fround(below);
    if (!(lo < hi)) {
      throw ck.error(`${where}, bin ${j}: [${from}, ${below}) is empty once its bounds are rounded to float32 (the precision of inputs); widen it`, path);
    }
    if (!b.label) b.label = numericLabel(from, below);
    return { j, lo, hi, from, below };
  });
  const sorted = [...iv].sort((a, b) => a.lo - b.lo);
  let gap: string | null = sorted[0]!.lo !== -Infinity ? `values below ${sorted[0]!.from}` : null;
  for (let k = 1; k < sorted.length; k++) {
    const p = sorted[k - 1]!;
    const q = sorted[k]!;
    if (q.lo < p.hi) {
      throw ck.error(`${where}: bins ${p.j} (${numericLabel(p.from, p.below)}) and ${q.j} (${numericLabel(q.from, q.below)}) overlap`, [...at, 'bins', q.j]);
    }
    if (q.lo > p.hi && gap === null) gap = `values in [${p.below}, ${q.from})`;
  }
  const last = sorted[sorted.length - 1]!;
  if (last.hi !== Infinity && gap === null) gap = `values from ${last.below} up`;
  if (gap !== null && !hasOther) throw ck.error(`${where}: ${gap} fall in no bin; close the gap or give \`other\` points for them`, [...at, 'bins']);
  // Every bound is a threshold, so each interval between thresholds lies in one bin or in a gap.
  const thresholds = [...new Set(iv.flatMap((b) => [b.lo, b.hi]).filter((v) => Number.isFinite(v)))].sort((a, b) => a - b);
  const lookup: number[] = [];
  let k = 0;
  for (let i = 0; i <= thresholds.length; i++) {
    const lower = i === 0 ? -Infinity : thresholds[i - 1]!;
    while (k < sorted.length && sorted[k]!.hi <= lower) k++;
    lookup.push(k < sorted.length && sorted[k]!.lo <= lower ? sorted[k]!.j : -1);
  }
  return { thresholds, lookup, uncovered: gap !== null };
}

/** Categorical bins: dictionary categories, or integer codes for a feature without a dictionary. */
function mapCategoricalBins(ck: SpecChecker, where: string, at: SpecPath, bins: SpecBin[], hasOther: boolean, schema: FeatureSchema, f: number): BinMapping {
  const feature = schema.names[f]!;
  const dict = schema.defs[f]!.categories;
  const owner = new Map<number, number>();
  bins.forEach((b, j) => {
    const path = [...at, 'bins', j, 'categories'];
    const cats = b.raw.categories;
    if (!Array.isArray(cats) || cats.length === 0) throw ck.error(`${where}, bin ${j}: categories must be a non-empty list`, path);
    cats.forEach((cat, i) => {
      let code: number;
      if (dict) {
        if (typeof cat !== 'string' && typeof cat !== 'number') throw ck.error(`${where}, bin ${j}: category ${describe(cat)} must be a string`, [...path, i]);
        code = schema.categoryCode(f, String(cat));
        if (code < 0) throw ck.error(`${where}, bin ${j}: "${String(cat).slice(0, 64)}" is not a category of feature "${feature}"`, [...path, i]);
      } else {
        code = typeof cat === 'string' && /^\d+$/.test(cat) ? Number(cat) : typeof cat === 'number' ? cat : NaN;
        if (!Number.isInteger(code) || code < 0 || code > SPEC_MAX_CODE) {
          throw ck.error(
            `${where}, bin ${j}: feature "${feature}" has no dictionary, so categories are integer codes in [0, ${SPEC_MAX_CODE}], got ${describe(cat)}`,
            [...path, i],
          );
        }
      }
      const prev = owner.get(code);
      if (prev !== undefined) {
        throw ck.error(`${where}: category "${String(cat).slice(0, 64)}" is in bins ${prev} and ${j}; a category belongs to one bin`, [...path, i]);
      }
      owner.set(code, j);
    });
    if (!b.label) b.label = cats.map(String).join(', ');
  });
  let codes = dict ? dict.length : 0;
  if (!dict) for (const code of owner.keys()) codes = Math.max(codes, code + 1);
  const lookup = Array.from({ length: codes }, (_, code) => owner.get(code) ?? -1);
  const unlisted = dict ? dict.filter((_, code) => !owner.has(code)) : [];
  if (unlisted.length > 0 && !hasOther) {
    throw ck.error(
      `${where}: categories ${unlisted.slice(0, 5).map((s) => `"${s}"`).join(', ')}${unlisted.length > 5 ? ', ...' : ''} are in no bin; list them or give \`other\` points`,
      [...at, 'bins'],
    );
  }
  // Codes outside the dictionary (raw vectors) or unlisted codes of a feature
  // without a dictionary can always occur.
  return { thresholds: [], lookup, uncovered: true };
}

/** Compiles a readable scorecard spec against a schema into a validated flat table. */
export function compileScorecard(spec: ScorecardSpec, schema: FeatureSchema): ScorecardTable {
  if (!isPlainObject(spec)) throw specError('model', 'the spec must be an object');
  const id = spec.id ?? 'model';
  if (typeof id !== 'string' || !MODEL_ID_PATTERN.test(id)) {
    throw specError(String(id).slice(0, 64), `id must match ${MODEL_ID_PATTERN}`, ['id']);
  }
  const ck = new SpecChecker(id);
  ck.keys(spec, SPEC_KEYS, 'spec', []);

  const basePoints = spec.basePoints === undefined ? 0 : ck.points(spec.basePoints, 'basePoints', ['basePoints']);
  let scaling: ScorecardScaling | null = null;
  if (spec.scaling !== undefined) {
    if (!isPlainObject(spec.scaling)) throw ck.error('scaling must be { pdo, baseScore, baseOdds }', ['scaling']);
    ck.keys(spec.scaling, SCALING_KEYS, 'scaling', ['scaling']);
    const s = spec.scaling;
    for (const k of SCALING_KEYS) {
      const v = (s as unknown as Record<string, unknown>)[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw ck.error(`scaling.${k} must be a finite number, got ${describe(v)}`, ['scaling', k]);
    }
    scaling = { pdo: s.pdo, baseScore: s.baseScore, baseOdds: s.baseOdds };
    const problem = scalingProblem(scaling);
    if (problem) throw ck.error(`scaling: ${problem}`, ['scaling']);
  }

  if (!Array.isArray(spec.characteristics) || spec.characteristics.length === 0) {
    throw ck.error('characteristics must be a non-empty list of { feature, bins, ... }', ['characteristics']);
  }
  if (spec.characteristics.length > MAX_CHARS) {
    throw ck.error(`at most ${MAX_CHARS} characteristics, got ${spec.characteristics.length}`, ['characteristics'], 'LIMIT_EXCEEDED');
  }

  const nChars = spec.characteristics.length;
  const names: string[] = [];
  const features = new Int32Array(nChars);
  const charKinds = new Uint8Array(nChars);
  const binStart = new Int32Array(nChars);
  const binCount = new Int32Array(nChars);
  const thrStart = new Int32Array(nChars);
  const thrCount = new Int32Array(nChars);
  const lookStart = new Int32Array(nChars);
  const lookCount = new Int32Array(nChars);
  const missingBin = new Int32Array(nChars);
  const otherBin = new Int32Array(nChars);
  const thresholds: number[] = [];
  const lookup: number[] = [];
  const bins: BuiltBin[] = [];
  const seenNames = new Set<string>();

  spec.characteristics.forEach((ch, c) => {
    const at: SpecPath = ['characteristics', c];
    if (!isPlainObject(ch)) throw ck.error(`characteristic #${c} must be an object { feature, bins, ... }`, at);
    const feature = ck.text(ch.feature, `characteristic #${c}: feature`, [...at, 'feature']);
    const name = ch.name === undefined ? feature : ck.text(ch.name, `characteristic #${c}: name`, [...at, 'name']);
    const where = `characteristic "${name}"`;
    ck.keys(ch, CHAR_KEYS, where, at);
    if (seenNames.has(name)) throw ck.error(`${where} appears twice; give each characteristic a unique name`, [...at, 'name']);
    seenNames.add(name);
    names.push(name);
    const f = schema.indexOf(feature);
    if (f < 0) throw ck.error(`${where}: unknown feature "${feature}"`, [...at, 'feature'], 'FEATURE_UNKNOWN');
    features[c] = f;
    const charReason = ch.reasonCode === undefined ? name : ck.text(ch.reasonCode, `${where}: reasonCode`, [...at, 'reasonCode']);
    if (!Array.isArray(ch.bins) || ch.bins.length === 0) throw ck.error(`${where}: bins must be a non-empty list`, [...at, 'bins']);
    const categorical = schema.isCategorical(f);
    charKinds[c] = categorical ? 1 : 0;

    const special = (v: unknown, which: 'missing' | 'other'): BuiltBin => {
      const path = [...at, which];
      if (typeof v === 'number') return { points: ck.points(v, `${where}, ${which} bin`, path), reason: charReason, label: which };
      if (!isPlainObject(v)) throw ck.error(`${where}: ${which} must be points or { points, reasonCode, label }`, path);
      ck.keys(v, SPECIAL_BIN_KEYS, `${where}, ${which} bin`, path);
      return {
        points: ck.points(v.points, `${where}, ${which} bin`, [...path, 'points']),
        reason: v.reasonCode === undefined ? charReason : ck.text(v.reasonCode, `${where}, ${which} bin: reasonCode`, [...path, 'reasonCode']),
        label: v.label === undefined ? which : ck.text(v.label, `${where}, ${which} bin: label`, [...path, 'label']),
      };
    };
    const specBins = (ch.bins as unknown[]).map((b, j): SpecBin => {
      const path = [...at, 'bins', j];
      if (!isPlainObject(b)) throw ck.error(`${where}, bin ${j}: must be an object with points`, path);
      if (!categorical && b.categories !== undefined) {
        throw ck.error(`${where}, bin ${j}: feature "${feature}" is numeric; give from/below, not categories`, [...path, 'categories']);
      }
      if (categorical && (b.from !== undefined || b.below !== undefined)) {
        throw ck.error(`${where}, bin ${j}: feature "${feature}" is categorical; give categories, not from/below`, path);
      }
      ck.keys(b, categorical ? CATEGORICAL_BIN_KEYS : NUMERIC_BIN_KEYS, `${where}, bin ${j}`, path);
      return {
        raw: b,
        points: ck.points(b.points, `${where}, bin ${j}`, [...path, 'points']),
        reason: b.reasonCode === undefined ? charReason : ck.text(b.reasonCode, `${where}, bin ${j}: reasonCode`, [...path, 'reasonCode']),
        label: b.label === undefined ? '' : ck.text(b.label, `${where}, bin ${j}: label`, [...path, 'label']),
      };
    });
    const missing = special(ch.missing ?? 0, 'missing');
    const other = ch.other === undefined ? null : special(ch.other, 'other');
    const map = categorical
      ? mapCategoricalBins(ck, where, at, specBins, other !== null, schema, f)
      : mapNumericBins(ck, where, at, specBins, other !== null);

    // Bins in table order: the spec's (so an explanation's bin index is the
    // spec's), missing, then other when values can reach it. Without `other`,
    // categorical values outside the lists score as missing.
    const first = bins.length;
    const missingIndex = first + specBins.length;
    const otherIndex = map.uncovered ? (other !== null ? missingIndex + 1 : missingIndex) : -1;
    for (const b of specBins) bins.push({ points: b.points, reason: b.reason, label: b.label });
    bins.push(missing);
    if (otherIndex === missingIndex + 1) bins.push(other!);
    binStart[c] = first;
    binCount[c] = bins.length - first;
    missingBin[c] = missingIndex;
    otherBin[c] = otherIndex;
    thrStart[c] = thresholds.length;
    thrCount[c] = map.thresholds.length;
    for (const v of map.thresholds) thresholds.push(v);
    lookStart[c] = lookup.length;
    lookCount[c] = map.lookup.length;
    for (const j of map.lookup) lookup.push(j < 0 ? otherIndex : first + j);
  });

  const reasonCodes: string[] = [];
  const reasonIndex = new Map<string, number>();
  const binReason = Int32Array.from(bins, (b) => {
    let r = reasonIndex.get(b.reason);
    if (r === undefined) {
      r = reasonCodes.length;
      reasonCodes.push(b.reason);
      reasonIndex.set(b.reason, r);
    }
    return r;
  });
  return {
    kind: 'scorecard',
    id,
    nGroups: 1,
    nOutputs: 1,
    transform: scaling ? 'scaledSigmoid' : 'identity',
    basePoints,
    scaling,
    names,
    features,
    charKinds,
    binStart,
    binCount,
    thrStart,
    thrCount,
    lookStart,
    lookCount,
    missingBin,
    otherBin,
    thresholds: Float32Array.from(thresholds),
    lookup: Int32Array.from(lookup),
    points: Float64Array.from(bins, (b) => b.points),
    binReason,
    binLabels: bins.map((b) => b.label),
    reasonCodes,
  };
}

/** Why scaling parameters are unusable, or null. */
function scalingProblem(s: ScorecardScaling): string | null {
  if (s.pdo === 0) return 'pdo must not be 0';
  if (!(s.baseOdds > 0)) return `baseOdds must be above 0, got ${s.baseOdds}`;
  if (Math.abs(s.baseScore) > POINTS_LIMIT) return `baseScore must be within ±${POINTS_LIMIT}`;
  const { scale, offset } = scalingCoefficients(s);
  if (!Number.isFinite(scale) || !Number.isFinite(offset)) return 'pdo, baseScore and baseOdds give a non-finite log-odds scale';
  return null;
}

/** log-odds = scale * score + offset, with scale = ln 2 / pdo and offset = ln(baseOdds) - baseScore * scale. */
export function scalingCoefficients(s: ScorecardScaling): { scale: number; offset: number } {
  const scale = Math.LN2 / s.pdo;
  return { scale, offset: Math.log(s.baseOdds) - s.baseScore * scale };
}

export function scorecardToBundle(t: ScorecardTable): Record<string, unknown> {
  return {
    kind: t.kind,
    id: t.id,
    nGroups: t.nGroups,
    nOutputs: t.nOutputs,
    transform: t.transform,
    basePoints: t.basePoints,
    ...(t.scaling ? { scaling: { ...t.scaling } } : {}),
    names: [...t.names],
    features: toBin(t.features),
    charKinds: toBin(t.charKinds),
    binStart: toBin(t.binStart),
    binCount: toBin(t.binCount),
    thrStart: toBin(t.thrStart),
    thrCount: toBin(t.thrCount),
    lookStart: toBin(t.lookStart),
    lookCount: toBin(t.lookCount),
    missingBin: toBin(t.missingBin),
    otherBin: toBin(t.otherBin),
    thresholds: toBin(t.thresholds),
    lookup: toBin(t.lookup),
    points: toBin(t.points),
    binReason: toBin(t.binReason),
    binLabels: [...t.binLabels],
    reasonCodes: [...t.reasonCodes],
  };
}

function invalid(msg: string): NextbestError {
  return new NextbestError('BUNDLE_INVALID', msg);
}

function readStrings(v: unknown, what: string, count?: number): string[] {
  if (!Array.isArray(v)) throw invalid(`${what}: expected a list of strings, got ${describe(v)}`);
  if (count !== undefined && v.length !== count) throw invalid(`${what}: has ${v.length} entries, expected ${count}`);
  v.forEach((s, i) => {
    if (typeof s !== 'string' || s.length > MAX_TEXT) throw invalid(`${what}[${i}]: expected a string of at most ${MAX_TEXT} characters`);
  });
  return v as string[];
}

/** Validates a decoded scorecard table against the schema size; every index, range and value is checked. */
export function validateScorecard(o: Record<string, unknown>, numFeatures: number, what: string): ScorecardTable {
  validateBase(o, what);
  if (o.nGroups !== 1 || (o.transform !== 'identity' && o.transform !== 'scaledSigmoid')) {
    throw invalid(`${what}: a scorecard has one group and an identity or scaledSigmoid transform`);
  }
  const basePoints = requireNumber(o.basePoints, `${what}.basePoints`, { min: -POINTS_LIMIT, max: POINTS_LIMIT });
  let scaling: ScorecardScaling | null = null;
  if (o.transform === 'scaledSigmoid') {
    const s = requireObject(o.scaling, `${what}.scaling`);
    scaling = {
      pdo: requireNumber(s.pdo, `${what}.scaling.pdo`),
      baseScore: requireNumber(s.baseScore, `${what}.scaling.baseScore`),
      baseOdds: requireNumber(s.baseOdds, `${what}.scaling.baseOdds`),
    };
    const problem = scalingProblem(scaling);
    if (problem) throw invalid(`${what}.scaling: ${problem}`);
  } else if (o.scaling !== undefined && o.scaling !== null) {
    throw invalid(`${what}: scaling is only allowed with the scaledSigmoid transform`);
  }
  const features = readI32(o.features, `${what}.features`);
  const n = features.length;
  if (n === 0 || n > MAX_CHARS) throw invalid(`${what}: a scorecard has 1 to ${MAX_CHARS} characteristics, got ${n}`);
  const names = readStrings(o.names, `${what}.names`, n);
  if (new Set(names).size !== n) throw invalid(`${what}.names: characteristic names must be unique`);
  const charKinds = readU8(o.charKinds, `${what}.charKinds`);
  const perChar = {
    binStart: readI32(o.binStart, `${what}.binStart`),
    binCount: readI32(o.binCount, `${what}.binCount`),
    thrStart: readI32(o.thrStart, `${what}.thrStart`),
    thrCount: readI32(o.thrCount, `${what}.thrCount`),
    lookStart: readI32(o.lookStart, `${what}.lookStart`),
    lookCount: readI32(o.lookCount, `${what}.lookCount`),
    missingBin: readI32(o.missingBin, `${what}.missingBin`),
    otherBin: readI32(o.otherBin, `${what}.otherBin`),
  };
  for (const [name, arr] of [['charKinds', charKinds], ...Object.entries(perChar)] as const) {
    if (arr.length !== n) throw invalid(`${what}.${name}: has ${arr.length} entries for ${n} characteristics`);
  }
  const { binStart, binCount, thrStart, thrCount, lookStart, lookCount, missingBin, otherBin } = perChar;
  const thresholds = readF32(o.thresholds, `${what}.thresholds`);
  const lookup = readI32(o.lookup, `${what}.lookup`);
  const points = readF64(o.points, `${what}.points`);
  const nBins = points.length;
  const binReason = readI32(o.binReason, `${what}.binReason`);
  if (binReason.length !== nBins) throw invalid(`${what}.binReason: has ${binReason.length} entries for ${nBins} bins`);
  const binLabels = readStrings(o.binLabels, `${what}.binLabels`, nBins);
  const reasonCodes = readStrings(o.reasonCodes, `${what}.reasonCodes`);
  for (let b = 0; b < nBins; b++) {
    const p = points[b]!;
    if (!Number.isFinite(p) || Math.abs(p) > POINTS_LIMIT) throw invalid(`${what}.points[${b}]: ${p} is not a finite number within ±${POINTS_LIMIT}`);
    if (binReason[b]! < 0 || binReason[b]! >= reasonCodes.length) {
      throw invalid(`${what}.binReason[${b}]: ${binReason[b]} is outside reasonCodes (0..${reasonCodes.length - 1})`);
    }
  }

  let nextBin = 0;
  for (let c = 0; c < n; c++) {
    const at = `${what} characteristic ${c} ("${names[c]!.slice(0, 64)}")`;
    if (features[c]! < 0 || features[c]! >= numFeatures) {
      throw invalid(`${at}: feature index ${features[c]} is outside the schema (0..${numFeatures - 1})`);
    }
    const kind = charKinds[c]!;
    if (kind !== 0 && kind !== 1) throw invalid(`${at}: unknown characteristic kind ${kind}`);
    // Bins are grouped by characteristic, in order, and cover the points array.
    const b0 = binStart[c]!;
    const bn = binCount[c]!;
    if (b0 !== nextBin || bn < 1 || b0 + bn > nBins) {
      throw invalid(`${at}: bins [${b0}, ${b0 + bn}) must follow the previous characteristic's (at ${nextBin}) and lie within ${nBins} bins`);
    }
    nextBin = b0 + bn;
    const ownBin = (b: number) => b >= b0 && b < b0 + bn;
    const t0 = thrStart[c]!;
    const tn = thrCount[c]!;
    if (t0 < 0 || tn < 0 || t0 + tn > thresholds.length) {
      throw invalid(`${at}: thresholds [${t0}, ${t0 + tn}) fall outside thresholds (${thresholds.length})`);
    }
    const l0 = lookStart[c]!;
    const ln = lookCount[c]!;
    if (l0 < 0 || ln < 0 || l0 + ln > lookup.length) throw invalid(`${at}: lookup [${l0}, ${l0 + ln}) falls outside lookup (${lookup.length})`);
    if (kind === 0) {
      if (ln !== tn + 1) throw invalid(`${at}: a numeric characteristic has one lookup entry per interval (${tn + 1}), got ${ln}`);
      for (let i = 0; i < tn; i++) {
        const v = thresholds[t0 + i]!;
        if (!Number.isFinite(v)) throw invalid(`${at}: threshold ${i} is not finite`);
        if (i > 0 && !(v > thresholds[t0 + i - 1]!)) throw invalid(`${at}: thresholds must be strictly increasing (threshold ${i})`);
      }
    } else {
      if (tn !== 0) throw invalid(`${at}: a categorical characteristic has no thresholds`);
      if (ln > TABLE_MAX_CODES) throw invalid(`${at}: ${ln} category codes is more than ${TABLE_MAX_CODES}`);
    }
    const reached = new Uint8Array(bn);
    for (let i = 0; i < ln; i++) {
      const b = lookup[l0 + i]!;
      if (!ownBin(b)) throw invalid(`${at}: lookup entry ${i} names bin ${b}, outside the characteristic's bins [${b0}, ${b0 + bn})`);
      reached[b - b0] = 1;
    }
    if (!ownBin(missingBin[c]!)) throw invalid(`${at}: missing bin ${missingBin[c]} is outside [${b0}, ${b0 + bn})`);
    reached[missingBin[c]! - b0] = 1;
    const ob = otherBin[c]!;
    if (kind === 1) {
      if (!ownBin(ob)) throw invalid(`${at}: other bin ${ob} is outside [${b0}, ${b0 + bn})`);
      reached[ob - b0] = 1;
    } else if (ob !== -1 && !ownBin(ob)) {
      throw invalid(`${at}: other bin ${ob} is neither -1 nor inside [${b0}, ${b0 + bn})`);
    }
    const dead = reached.indexOf(0);
    if (dead >= 0) throw invalid(`${at}: bin ${b0 + dead} can never be reached`);
  }
  if (nextBin !== nBins) throw invalid(`${what}: ${nBins - nextBin} bins belong to no characteristic`);

  return {
    kind: 'scorecard',
    id: o.id as string,
    nGroups: 1,
    nOutputs: 1,
    transform: o.transform as 'identity' | 'scaledSigmoid',
    basePoints,
    scaling,
    names: [...names],
    features,
    charKinds,
    binStart,
    binCount,
    thrStart,
    thrCount,
    lookStart,
    lookCount,
    missingBin,
    otherBin,
    thresholds,
    lookup,
    points,
    binReason,
    binLabels: [...binLabels],
    reasonCodes: [...reasonCodes],
  };
}

/** Places a validated table in wasm memory (layout in assembly/score/scorecard.ts); returns the model pointer. */
export function placeScorecard(wasm: WasmInstance, t: ScorecardTable): number {
  const n = t.features.length;
  // Each characteristic's thresholds start 16-byte aligned and are padded with
  // NaN to a multiple of 4, so the kernel compares them four at a time.
  const padded: number[] = [];
  const thrAt = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    thrAt[c] = padded.length;
    const t0 = t.thrStart[c]!;
    const tn = t.thrCount[c]!;
    for (let i = 0; i < tn; i++) padded.push(t.thresholds[t0 + i]!);
    while (padded.length % 4 !== 0) padded.push(NaN);
  }
  const thrPtr = wasm.place(padded.length ? Float32Array.from(padded) : new Float32Array(4));
  const lookPtr = wasm.place(t.lookup.length ? t.lookup : new Int32Array(1));
  const pointsPtr = wasm.place(t.points);
  const chars = wasm.alloc(n * CHAR_SIZE, 16);
  const model = wasm.alloc(HEADER_SIZE + 32, 16);
  const { i32, f64 } = wasm;
  writeHeader(i32, model, t);
  if (t.scaling) {
    const { scale, offset } = scalingCoefficients(t.scaling);
    f64[(model + 16) >> 3] = scale;
    f64[(model + 24) >> 3] = offset;
  }
  f64[(model + 32) >> 3] = t.basePoints;
  i32[(model + 40) >> 2] = n;
  i32[(model + 44) >> 2] = chars;
  i32[(model + 48) >> 2] = pointsPtr;
  i32[(model + 52) >> 2] = t.points.length;
  for (let c = 0; c < n; c++) {
    const p = chars + c * CHAR_SIZE;
    i32[p >> 2] = t.features[c]! * 4;
    i32[(p + 4) >> 2] = t.charKinds[c]!;
    i32[(p + 8) >> 2] = thrPtr + thrAt[c]! * 4;
    i32[(p + 12) >> 2] = t.thrCount[c]!;
    i32[(p + 16) >> 2] = lookPtr + t.lookStart[c]! * 4;
    i32[(p + 20) >> 2] = t.lookCount[c]!;
    i32[(p + 24) >> 2] = t.missingBin[c]!;
    i32[(p + 28) >> 2] = t.otherBin[c]!;
  }
  return model;
}
