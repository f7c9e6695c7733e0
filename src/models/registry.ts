/**
 * Dispatch over model kinds: bundle encoding, validation, placement in wasm
 * memory, and the reference twins. Adding a kind means adding one entry here.
 */
import { NextbestError } from '../errors.js';
import type { WasmInstance } from '../runtime/wasm.js';
import { describe } from '../bundle/binary.js';
import { linearToBundle, placeLinear, validateLinear, type LinearTable } from './linear.js';
import { requireObject } from './table.js';
import { referenceLinearMargin } from '../reference/linear.js';
import { adaptiveToBundle, placeAdaptive, validateAdaptive, type AdaptiveTable } from './adaptive.js';
import { placeTrees, treesToBundle, validateTrees, type TreesTable } from './trees.js';
import { referenceTreesMargins } from '../reference/trees.js';
import { placeScorecard, scorecardToBundle, validateScorecard, type ScorecardTable } from './scorecard.js';
import { referenceScorecardMargin } from '../reference/scorecard.js';

export type ModelTable = LinearTable | ScorecardTable | TreesTable | AdaptiveTable;

interface KindOps<T extends ModelTable> {
  toBundle(t: T): Record<string, unknown>;
  validate(o: Record<string, unknown>, numFeatures: number, what: string): T;
  place(wasm: WasmInstance, t: T): number;
  /** Reference margins of one row into out[0..nGroups). */
  reference(t: T, row: Float32Array, offset: number, out: Float32Array): void;
}

const KINDS: Record<string, KindOps<any>> = {
  linear: {
    toBundle: linearToBundle,
    validate: validateLinear,
    place: placeLinear,
    reference: (t: LinearTable, row, offset, out) => {
      out[0] = referenceLinearMargin(t, row, offset);
    },
  } satisfies KindOps<LinearTable>,
  scorecard: {
    toBundle: scorecardToBundle,
    validate: validateScorecard,
    place: placeScorecard,
    reference: (t: ScorecardTable, row, offset, out) => {
      out[0] = referenceScorecardMargin(t, row, offset);
    },
  } satisfies KindOps<ScorecardTable>,
  trees: {
    toBundle: treesToBundle,
    validate: validateTrees,
    place: placeTrees,
    reference: referenceTreesMargins,
  } satisfies KindOps<TreesTable>,
  adaptive: {
    toBundle: adaptiveToBundle,
    validate: validateAdaptive,
    place: placeAdaptive,
    reference: (t: AdaptiveTable) => {
      // An adaptive model's output depends on its learning state, which a table does not hold.
      throw new NextbestError('MODEL_KIND', `adaptive model "${t.id}" is scored with its learning state: use referenceAdaptivePropensity (src/reference/adaptive.ts)`);
    },
  } satisfies KindOps<AdaptiveTable>,
};

function opsFor(kind: unknown, what: string): KindOps<ModelTable> {
  const ops = typeof kind === 'string' && Object.prototype.hasOwnProperty.call(KINDS, kind) ? KINDS[kind] : undefined;
  if (!ops) {
    throw new NextbestError('BUNDLE_INVALID', `${what}: unknown model kind ${describe(kind)}; known: ${Object.keys(KINDS).join(', ')}`);
  }
  return ops;
}

export function modelToBundle(t: ModelTable): Record<string, unknown> {
  return opsFor(t.kind, `model "${t.id}"`).toBundle(t);
}

/** Validates one decoded model section; throws BUNDLE_INVALID naming the model and the field. */
export function validateModel(section: unknown, numFeatures: number, index: number): ModelTable {
  const o = requireObject(section, `models[${index}]`);
  const what = `model ${typeof o.id === 'string' ? `"${o.id.slice(0, 64)}"` : `#${index}`}`;
  return opsFor(o.kind, what).validate(o, numFeatures, what);
}

/** Validates every model section and checks ids are unique. */
export function validateModels(sections: unknown[], numFeatures: number): ModelTable[] {
  const seen = new Set<string>();
  return sections.map((s, i) => {
    const t = validateModel(s, numFeatures, i);
    if (seen.has(t.id)) throw new NextbestError('BUNDLE_INVALID', `model id "${t.id}" appears twice`);
    seen.add(t.id);
    return t;
  });
}

export function placeModel(wasm: WasmInstance, t: ModelTable): number {
  return opsFor(t.kind, `model "${t.id}"`).place(wasm, t);
}

/** Reference margins (plain TS) of n rows: the twin of the wasm kernels, for tests and benchmarks. */
export function referenceMargins(t: ModelTable, rows: Float32Array, n: number, numFeatures: number): Float32Array {
  const ops = opsFor(t.kind, `model "${t.id}"`);
  const out = new Float32Array(n * t.nGroups);
  const one = new Float32Array(t.nGroups);
  for (let r = 0; r < n; r++) {
    ops.reference(t, rows, r * numFeatures, one);
    out.set(one, r * t.nGroups);
  }
  return out;
}
