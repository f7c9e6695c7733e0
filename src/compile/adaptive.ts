/**
 * The `adaptive:` model entry of a bundle spec, and the bundle's starting
 * learning state (`learning:` at the top level).
 *
 *   models:
 *     offers:
 *       adaptive:
 *         instances: action            # model | action | action_channel
 *         sample: data/seed.ndjson     # feature objects (NDJSON, or a JSON array) for equal-frequency bins
 *         predictors:
 *           tenure_months: { bins: 8 }
 *           monthly_spend: { thresholds: [20, 50, 100] }
 *           plan: {}                   # one bin per category, plus other and missing
 *         performanceThreshold: 0.52
 *         scoreBins: 200
 *         exploration: { method: thompson, ramp: { start: 0.02, positives: 200 } }
 *   learning: learned.nbls             # a snapshot to start from
 */
import { NextbestError } from '../errors.js';
import type { FeatureObject } from '../runtime/features.js';
import { compileAdaptive, type AdaptiveSpec, type AdaptiveTable } from '../models/adaptive.js';
import { decodeLearning } from '../adaptive/snapshot.js';
import type { SpecNode } from './source.js';
import type { CompileContext } from './spec.js';

const KEYS = ['instances', 'predictors', 'performanceThreshold', 'scoreBins', 'exploration', 'sample'];

export function compileAdaptiveEntry(id: string, body: SpecNode, ctx: CompileContext): AdaptiveTable {
  if (!body.isMap) throw body.error('expected { predictors, ... }');
  body.checkKeys(KEYS);
  const sampleNode = body.get('sample');
  const sample = sampleNode ? parseSample(ctx.readFile(sampleNode), sampleNode) : undefined;
  const spec = body.toJS() as AdaptiveSpec & { sample?: unknown };
  delete spec.sample;
  const predictors = body.require('predictors');
  if (!predictors.isMap && !predictors.isSeq) throw predictors.error('expected a map of feature -> binning, or a list of feature names');
  try {
    return compileAdaptive({ ...spec, id }, ctx.schema, sample);
  } catch (e) {
    if (e instanceof NextbestError && !e.details?.line) {
      // point at the predictor the message names, when it does
      const m = /predictor "([^"]+)"/.exec(e.message);
      const node = (m && predictors.isMap && predictors.get(m[1]!)) || body;
      throw node.error(e.message, e.code === 'FEATURE_UNKNOWN' ? 'SPEC_INVALID' : e.code);
    }
    throw e;
  }
}

/** Rows of a seeding sample: NDJSON (one feature object per line) or a JSON array of objects. */
function parseSample(bytes: Uint8Array, node: SpecNode): FeatureObject[] {
  const text = new TextDecoder().decode(bytes);
  const file = node.string();
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch (e) {
      throw node.error(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) {
      throw node.error(`${file}: a JSON sample is an array of feature objects`);
    }
    return rows as FeatureObject[];
  }
  const rows: FeatureObject[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch (e) {
      throw node.error(`${file}:${i + 1}: not valid JSON: ${(e as Error).message}`);
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw node.error(`${file}:${i + 1}: expected a feature object`);
    rows.push(r as FeatureObject);
  });
  if (rows.length === 0) throw node.error(`${file} holds no rows`);
  return rows;
}

/** The `learning:` section: a snapshot file, checked here for form (and at load against the models). */
export function compileLearningSection(node: SpecNode, ctx: CompileContext): Uint8Array {
  const bytes = ctx.readFile(node);
  try {
    decodeLearning(bytes);
  } catch (e) {
    if (e instanceof NextbestError) throw node.error(`${node.string()}: ${e.message}`, e.code);
    throw e;
  }
  return bytes;
}
