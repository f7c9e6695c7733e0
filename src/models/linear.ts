/**
 * Linear and logistic models: intercept + sum of weight * x over numeric
 * features + a per-category contribution for categorical features (one-hot
 * weights), through an identity or logit link.
 *
 * Table (bundle form, all arrays in term order):
 *   intercept  f64
 *   features   i32[]  schema index per term
 *   termKinds  u8[]   0 numeric, 1 categorical
 *   weights    f64[]  numeric: coefficient (categorical: 0)
 *   missing    f64[]  numeric: value imputed for NaN; categorical: contribution when NaN
 *   catStart   i32[]  categorical: first index into catWeights (numeric: 0)
 *   catCount   i32[]  categorical: number of codes (numeric: 0)
 *   catWeights f64[]  contribution per category code; codes outside [0, catCount) add 0
 */
import { NextbestError } from '../errors.js';
import { readF64, readI32, readU8, toBin } from '../bundle/binary.js';
import type { FeatureDef, FeatureSchema } from '../runtime/features.js';
import type { WasmInstance } from '../runtime/wasm.js';
import {
  HEADER_SIZE,
  MODEL_ID_PATTERN,
  requireNumber,
  validateBase,
  writeHeader,
  type ModelTableBase,
} from './table.js';

export interface LinearTable extends ModelTableBase {
  kind: 'linear';
  intercept: number;
  features: Int32Array;
  termKinds: Uint8Array;
  weights: Float64Array;
  missing: Float64Array;
  catStart: Int32Array;
  catCount: Int32Array;
  catWeights: Float64Array;
}

/** The readable form users write (in a bundle spec or `Model.fromLinear`). */
export interface LinearSpec {
  id?: string;
  /** The feature schema; when omitted it is derived from `weights` (objects become categorical). */
  features?: FeatureDef[];
  intercept?: number;
  link?: 'identity' | 'logit';
  /** Per feature: a coefficient (numeric) or a map category -> contribution (categorical). */
  weights: Record<string, number | Record<string, number>>;
  /** Per feature: numeric value to impute for missing, or a categorical feature's contribution when missing. Default 0. */
  missing?: Record<string, number>;
}

const TERM_SIZE = 32;

function specError(msg: string): NextbestError {
  return new NextbestError('MODEL_INVALID', `linear model: ${msg}`);
}

/** The schema a linear spec implies when it does not give one. */
export function linearSchemaFromSpec(spec: LinearSpec): FeatureDef[] {
  if (spec.features) return spec.features;
  return Object.entries(spec.weights ?? {}).map(([name, w]) =>
    typeof w === 'number' ? { name, type: 'numeric' as const } : { name, type: 'categorical' as const, categories: Object.keys(w ?? {}) },
  );
}

export function compileLinear(spec: LinearSpec, schema: FeatureSchema): LinearTable {
  if (spec === null || typeof spec !== 'object') throw specError('the spec must be an object');
  const id = spec.id ?? 'model';
  if (!MODEL_ID_PATTERN.test(id)) throw specError(`id "${id}" must match ${MODEL_ID_PATTERN}`);
  const link = spec.link ?? 'identity';
  if (link !== 'identity' && link !== 'logit') throw specError(`link must be "identity" or "logit", got ${JSON.stringify(link)}`);
  const intercept = spec.intercept ?? 0;
  if (typeof intercept !== 'number' || !Number.isFinite(intercept)) throw specError('intercept must be a finite number');
  if (spec.weights === null || typeof spec.weights !== 'object') throw specError('weights must be a map of feature -> weight');
  const entries = Object.entries(spec.weights);
  const n = entries.length;
  const features = new Int32Array(n);
  const termKinds = new Uint8Array(n);
  const weights = new Float64Array(n);
  const missing = new Float64Array(n);
  const catStart = new Int32Array(n);
  const catCount = new Int32Array(n);
  const cat: number[] = [];
  entries.forEach(([name, w], t) => {
    const f = schema.indexOf(name);
    if (f < 0) throw new NextbestError('FEATURE_UNKNOWN', `linear model: weight for unknown feature "${name}"`, { feature: name });
    features[t] = f;
    const miss = spec.missing?.[name] ?? 0;
    if (typeof miss !== 'number' || !Number.isFinite(miss)) throw specError(`missing value for "${name}" must be a finite number`);
    missing[t] = miss;
    if (typeof w === 'number') {
      if (!Number.isFinite(w)) throw specError(`weight for "${name}" must be a finite number`);
      if (schema.isCategorical(f)) throw specError(`"${name}" is categorical: give a map category -> weight`);
      weights[t] = w;
    } else if (w !== null && typeof w === 'object') {
      if (!schema.isCategorical(f)) throw specError(`"${name}" is numeric: give one weight, not a map`);
      const def = schema.defs[f]!;
      const count = def.categories ? def.categories.length : Math.max(0, ...Object.keys(w).map((k) => Number(k) + 1));
      termKinds[t] = 1;
      catStart[t] = cat.length;
      catCount[t] = count;
      const table = new Array<number>(count).fill(0);
      for (const [c, v] of Object.entries(w)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw specError(`weight for ${name}="${c}" must be a finite number`);
        let code = schema.categoryCode(f, c);
        if (code < 0 && !def.categories && /^\d+$/.test(c)) code = Number(c);
        if (code < 0 || code >= count) throw specError(`"${c}" is not a category of feature "${name}"`);
        table[code] = v;
      }
      cat.push(...table);
    } else {
      throw specError(`weight for "${name}" must be a number or a map category -> number`);
    }
  });
  return {
    kind: 'linear',
    id,
    nGroups: 1,
    nOutputs: 1,
    transform: link === 'logit' ? 'sigmoid' : 'identity',
    intercept,
    features,
    termKinds,
    weights,
    missing,
    catStart,
    catCount,
    catWeights: Float64Array.from(cat),
  };
}

export function linearToBundle(t: LinearTable): Record<string, unknown> {
  return {
    kind: t.kind,
    id: t.id,
    nGroups: t.nGroups,
    nOutputs: t.nOutputs,
    transform: t.transform,
    intercept: t.intercept,
    features: toBin(t.features),
    termKinds: toBin(t.termKinds),
    weights: toBin(t.weights),
    missing: toBin(t.missing),
    catStart: toBin(t.catStart),
    catCount: toBin(t.catCount),
    catWeights: toBin(t.catWeights),
  };
}

/** Validates a decoded linear table against the schema size; every index is checked. */
export function validateLinear(o: Record<string, unknown>, numFeatures: number, what: string): LinearTable {
  validateBase(o, what);
  if (o.nGroups !== 1 || (o.transform !== 'identity' && o.transform !== 'sigmoid')) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: a linear model has one group and an identity or sigmoid transform`);
  }
  const intercept = requireNumber(o.intercept, `${what}.intercept`);
  const features = readI32(o.features, `${what}.features`);
  const n = features.length;
  const termKinds = readU8(o.termKinds, `${what}.termKinds`);
  const weights = readF64(o.weights, `${what}.weights`);
  const missing = readF64(o.missing, `${what}.missing`);
  const catStart = readI32(o.catStart, `${what}.catStart`);
  const catCount = readI32(o.catCount, `${what}.catCount`);
  const catWeights = readF64(o.catWeights, `${what}.catWeights`);
  for (const [name, arr] of [
    ['termKinds', termKinds],
    ['weights', weights],
    ['missing', missing],
    ['catStart', catStart],
    ['catCount', catCount],
  ] as const) {
    if (arr.length !== n) throw new NextbestError('BUNDLE_INVALID', `${what}.${name}: has ${arr.length} entries for ${n} terms`);
  }
  for (let t = 0; t < n; t++) {
    const at = `${what} term ${t}`;
    if (features[t]! < 0 || features[t]! >= numFeatures) {
      throw new NextbestError('BUNDLE_INVALID', `${at}: feature index ${features[t]} is outside the schema (0..${numFeatures - 1})`);
    }
    if (!Number.isFinite(weights[t]!) || !Number.isFinite(missing[t]!)) {
      throw new NextbestError('BUNDLE_INVALID', `${at}: weight and missing value must be finite`);
    }
    if (termKinds[t] === 0) {
      if (catCount[t] !== 0) throw new NextbestError('BUNDLE_INVALID', `${at}: a numeric term has no categories`);
    } else if (termKinds[t] === 1) {
      const s = catStart[t]!;
      const c = catCount[t]!;
      if (s < 0 || c < 0 || c > 1 << 24 || s + c > catWeights.length) {
        throw new NextbestError('BUNDLE_INVALID', `${at}: category weights [${s}, ${s + c}) fall outside catWeights (${catWeights.length})`);
      }
    } else {
      throw new NextbestError('BUNDLE_INVALID', `${at}: unknown term kind ${termKinds[t]}`);
    }
  }
  for (let i = 0; i < catWeights.length; i++) {
    if (!Number.isFinite(catWeights[i]!)) throw new NextbestError('BUNDLE_INVALID', `${what}.catWeights[${i}] is not finite`);
  }
  return {
    kind: 'linear',
    id: o.id as string,
    nGroups: 1,
    nOutputs: 1,
    transform: o.transform as 'identity' | 'sigmoid',
    intercept,
    features,
    termKinds,
    weights,
    missing,
    catStart,
    catCount,
    catWeights,
  };
}

/** Places a validated table in wasm memory (layout in assembly/score/linear.ts); returns the model pointer. */
export function placeLinear(wasm: WasmInstance, t: LinearTable): number {
  const n = t.features.length;
  const catPtr = wasm.place(t.catWeights.length ? t.catWeights : new Float64Array(1));
  const terms = wasm.alloc(n * TERM_SIZE, 16);
  const model = wasm.alloc(HEADER_SIZE + 16, 16);
  const { i32, f64 } = wasm;
  writeHeader(i32, model, t);
  f64[(model + 32) >> 3] = t.intercept;
  i32[(model + 40) >> 2] = n;
  i32[(model + 44) >> 2] = terms;
  for (let k = 0; k < n; k++) {
    const p = terms + k * TERM_SIZE;
    i32[p >> 2] = t.features[k]! * 4;
    i32[(p + 4) >> 2] = t.termKinds[k]!;
    f64[(p + 8) >> 3] = t.weights[k]!;
    f64[(p + 16) >> 3] = t.missing[k]!;
    i32[(p + 24) >> 2] = catPtr + t.catStart[k]! * 8;
    i32[(p + 28) >> 2] = t.catCount[k]!;
  }
  return model;
}
