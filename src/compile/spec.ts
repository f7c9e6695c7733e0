/**
 * The bundle spec compiler: readable spec (YAML/JSON) -> bundle payload.
 *
 * Sections, in dependency order:
 *   nextbest: 1                  spec format version (optional)
 *   bundle, version, description metadata
 *   features                     the customer feature schema
 *   context                      request context fields (channel, placement, ...)
 *   models                       linear / scorecard / xgboost (by file) / adaptive (src/compile/adaptive.ts)
 *   learning                     a learning snapshot the bundle's adaptive models start from
 *   groups, actions, policies, arbitration, triggers   decisions (src/compile/decisions.ts)
 *   events, journeys             event types, patterns and windowed aggregates (compile/journey/)
 * Every error names the file, line and column to fix.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { NextbestError } from '../errors.js';
import { sha256, hex } from '../bundle/codec.js';
import type { BundlePayload } from '../bundle/format.js';
import { FeatureSchema, type FeatureDef } from '../runtime/features.js';
import { compileLinear, type LinearSpec } from '../models/linear.js';
import { compileScorecard, type ScorecardSpec } from '../models/scorecard.js';
import { bindXGBoostToSchema, importXGBoost } from '../models/xgboost.js';
import { MODEL_ID_PATTERN } from '../models/table.js';
import { modelToBundle, type ModelTable } from '../models/registry.js';
import { VERSION } from '../version.js';
import { displayPath, SpecNode, SpecSource } from './source.js';
import { compileDecisions } from './decisions.js';
import { composeLayout, layoutToBundle, type StateSection } from '../state/layout.js';
import { compileJourneySections } from './journey/spec.js';
import { journeysStateSection, journeysToBundle } from './journey/bundle.js';
import { journeyBindings } from './journey/bindings.js';
import { formatPath } from './expr/printer.js';
import { compileAdaptiveEntry, compileLearningSection } from './adaptive.js';
import { resolveLimits, type Limits } from '../limits.js';
import { exprLimitsOf } from './expr/ast.js';

export const SPEC_FORMAT = 1;

export interface CompileOptions {
  /** Directory that relative model paths resolve against (default: the spec file's directory). */
  baseDir?: string;
  /** Fixed creation timestamp (reproducible builds); default now. */
  created?: string;
  /** Limits (src/limits.ts) the bundle must keep: expressions are compiled with them, and buildBundle loads the result with them. */
  limits?: Partial<Limits>;
}

/** Everything later sections may need from earlier ones. */
export interface CompileContext {
  source: SpecSource;
  baseDir: string;
  schema: FeatureSchema;
  context: FeatureSchema;
  models: Map<string, ModelTable>;
  /** The limits the bundle is built for. */
  limits: Readonly<Limits>;
  /** sha256 of each file read, by path relative to the spec. */
  sources: Record<string, string>;
  /** Reads a file referenced by the spec (relative to the spec), recording its hash. */
  readFile(node: SpecNode): Uint8Array;
}

const TOP_LEVEL = [
  'nextbest',
  'bundle',
  'version',
  'description',
  'features',
  'context',
  'models',
  'events',
  'journeys',
  'actions',
  'groups',
  'policies',
  'arbitration',
  'triggers',
  'settings',
  'learning',
] as const;

/** Compiles a spec file into a bundle payload. */
export function compileSpecFile(path: string, opts?: CompileOptions): BundlePayload {
  const source = SpecSource.fromFile(path);
  return compileSpec(source, { baseDir: dirname(resolve(path)), ...opts });
}

export function compileSpec(source: SpecSource, opts?: CompileOptions): BundlePayload {
  const root = source.root;
  if (!root.isMap) throw root.error('a spec is a map with at least `bundle`, `version` and `features`');
  root.checkKeys(TOP_LEVEL);
  const fmt = root.get('nextbest');
  if (fmt && fmt.number({ integer: true }) !== SPEC_FORMAT) {
    throw fmt.error(`this nextbest reads spec format ${SPEC_FORMAT}`);
  }
  const name = root.require('bundle').string();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw root.require('bundle').error('bundle name: letters, digits, _ . - (at most 64)');
  const version = root.require('version').text();

  const baseDir = opts?.baseDir ?? process.cwd();
  const limits = resolveLimits(opts?.limits);
  const sources: Record<string, string> = {};
  sources[displayPath(source.file, baseDir)] = hex(sha256(new TextEncoder().encode(source.text)));

  const schema = compileFeatureSection(root.require('features'), 'feature');
  const contextNode = root.get('context');
  const context = contextNode && !contextNode.isNull ? compileFeatureSection(contextNode, 'context field') : new FeatureSchema([]);

  const ctx: CompileContext = {
    source,
    baseDir,
    schema,
    context,
    models: new Map(),
    limits,
    sources,
    readFile(node: SpecNode): Uint8Array {
      const rel = node.string();
      const full = isAbsolute(rel) ? rel : resolve(baseDir, rel);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(full));
      } catch (e) {
        throw node.error(`cannot read ${rel}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      sources[displayPath(full, baseDir)] = hex(sha256(bytes));
      return bytes;
    },
  };

  const modelsNode = root.get('models');
  if (modelsNode && !modelsNode.isNull) {
    for (const [id, node] of modelsNode.entries()) ctx.models.set(id, compileModelEntry(id, node, ctx));
  }

  // Journeys (src/compile/journey/): event types, patterns and aggregates; decisions read their results.
  const journeys = compileJourneySections(root, schema, exprLimitsOf(limits));
  const bindings = journeys ? journeyBindings(journeys) : undefined;
  // Decisions (src/compile/decisions.ts): actions, groups, policies, arbitration, triggers.
  const decisions = compileDecisions(
    root,
    ctx,
    journeys
      ? {
          ids: journeys.journeys.map((j) => j.id),
          resolver: { resolve: (path) => bindings!.get(formatPath(path)), names: () => bindings!.keys() },
        }
      : undefined,
  );
  // Per-customer state: each subsystem adds its section (src/state/layout.ts).
  const stateParts: Omit<StateSection, 'offset'>[] = [];
  if (journeys) stateParts.push(journeysStateSection(journeys));
  if (decisions) stateParts.push(decisions.contacts);

  return {
    meta: {
      name,
      version,
      created: opts?.created ?? new Date().toISOString(),
      generator: `nextbest ${VERSION}`,
      sources,
      ...(root.get('description') ? { description: root.get('description')!.string() } : {}),
    },
    features: schema.toJSON(),
    context: context.toJSON(),
    models: [...ctx.models.values()].map(modelToBundle),
    ...(journeys ? { journeys: journeysToBundle(journeys) } : {}),
    ...(decisions ? { decisions: decisions.section } : {}),
    ...(stateParts.length ? { state: layoutToBundle(composeLayout(stateParts)) } : {}),
    ...(root.get('learning') ? { learning: compileLearningSection(root.get('learning')!, ctx) } : {}),
  };
}

/**
 * A feature (or context) section: `name: numeric`, `name: [a, b, c]` (categorical
 * with its dictionary), `name: categorical` (codes only), or
 * `name: { type: categorical, categories: [...] }`.
 */
export function compileFeatureSection(node: SpecNode, what: string): FeatureSchema {
  const defs: FeatureDef[] = [];
  for (const [name, v] of node.entries()) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
      throw v.error(`${what} name "${name}" must start with a letter or _ and contain letters, digits and _`);
    }
    if (v.isSeq) {
      defs.push({ name, type: 'categorical', categories: v.items().map((c) => c.text()) });
    } else if (v.isScalar && !v.isNull) {
      const t = v.string();
      if (t !== 'numeric' && t !== 'categorical') throw v.error(`${what} type must be numeric, categorical, or a list of categories`);
      defs.push({ name, type: t });
    } else if (v.isMap) {
      v.checkKeys(['type', 'categories', 'description']);
      const t = v.require('type').string();
      if (t !== 'numeric' && t !== 'categorical') throw v.require('type').error('type must be numeric or categorical');
      const cats = v.get('categories');
      if (cats && t !== 'categorical') throw cats.error('only categorical features have categories');
      defs.push(cats ? { name, type: 'categorical', categories: cats.items().map((c) => c.text()) } : { name, type: t });
    } else {
      throw v.error(`expected numeric, categorical, a list of categories or { type, categories }`);
    }
  }
  try {
    return new FeatureSchema(defs);
  } catch (e) {
    if (e instanceof NextbestError) throw node.error(e.message);
    throw e;
  }
}

/**
 * Re-throws a model compiler's error at the spec node that caused it: the
 * deepest node along the error's `details.specPath` when it has one.
 */
function at<T>(node: SpecNode, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NextbestError && !e.details?.line) {
      const path = Array.isArray(e.details?.specPath) ? (e.details.specPath as (string | number)[]) : [];
      for (const key of path) {
        const next = typeof key === 'number' ? (node.isSeq ? node.items()[key] : undefined) : node.isMap ? node.get(key) : undefined;
        if (next === undefined) break;
        node = next;
      }
      throw node.error(e.message, e.code === 'FEATURE_UNKNOWN' ? 'SPEC_INVALID' : e.code);
    }
    throw e;
  }
}

const MODEL_KINDS = ['linear', 'scorecard', 'xgboost', 'adaptive'] as const;

function compileModelEntry(id: string, node: SpecNode, ctx: CompileContext): ModelTable {
  if (!MODEL_ID_PATTERN.test(id)) throw node.error(`model id "${id}" must match ${MODEL_ID_PATTERN}`);
  node.checkKeys([...MODEL_KINDS, 'description']);
  const kinds = MODEL_KINDS.filter((k) => node.get(k) !== undefined);
  if (kinds.length !== 1) throw node.error(`a model has exactly one of: ${MODEL_KINDS.join(', ')}`);
  const kind = kinds[0]!;
  const body = node.require(kind);
  switch (kind) {
    case 'linear': {
      const spec = body.toJS() as LinearSpec;
      if (spec === null || typeof spec !== 'object') throw body.error('expected { intercept, link, weights }');
      if ('features' in spec) throw body.error('a model in a bundle uses the bundle features; remove `features`');
      return at(body, () => compileLinear({ ...spec, id }, ctx.schema));
    }
    case 'scorecard': {
      const spec = body.toJS() as ScorecardSpec;
      if (spec === null || typeof spec !== 'object') throw body.error('expected { basePoints, scaling, characteristics }');
      if ('features' in spec) throw body.error('a model in a bundle uses the bundle features; remove `features`');
      return at(body, () => compileScorecard({ ...spec, id }, ctx.schema));
    }
    case 'xgboost': {
      // xgboost: path/to/model.ubj, or { file, features: { model_name: bundle_name } }
      const fileNode = body.isMap ? body.require('file') : body;
      if (body.isMap) body.checkKeys(['file', 'features']);
      const renameNode = body.isMap ? body.get('features') : undefined;
      const rename = (renameNode?.toJS() ?? {}) as Record<string, string>;
      if (rename === null || typeof rename !== 'object' || Object.values(rename).some((v) => typeof v !== 'string')) {
        throw (renameNode ?? body).error('features maps model feature names to bundle feature names');
      }
      const bytes = ctx.readFile(fileNode);
      return at(fileNode, () => bindXGBoostToSchema(importXGBoost(bytes, { id }), ctx.schema, rename));
    }
    case 'adaptive':
      return compileAdaptiveEntry(id, body, ctx);
    default:
      throw body.error(`${kind} models are not supported by this build`);
  }
}
