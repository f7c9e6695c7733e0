/**
 * What the fuzzer attacks. A target makes one input from a seeded `rand`
 * (`generate`: a valid seed input mutated, or a random one) and runs it
 * (`run`) through an input path of the library on the debug wasm build
 * (assertions on). The rule for every case: the call returns, or throws a
 * NextbestError with a stable code other than WASM_ABORT / WASM_TRAP (a
 * kernel that aborts or traps is a loader or kernel bug); anything else
 * (TypeError, RangeError, a non-finite priority, a result of the wrong
 * shape) is a failure. Inputs are bytes or text, so a failing case is saved
 * as is (test/fixtures/fuzz/) and replayed as a regression case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { NextbestError } from '../../src/errors.js';
import { decodeEnvelope, decodePayload, encodeBundle, encodeEnvelope, packValue, unpackValue } from '../../src/bundle/codec.js';
import { compileSpec } from '../../src/compile/spec.js';
import { SpecSource } from '../../src/compile/source.js';
import { Engine } from '../../src/engine.js';
import { formatReport, inspectBundle } from '../../src/bundle/inspect.js';
import { Model } from '../../src/models/model.js';
import { importXGBoost } from '../../src/models/xgboost.js';
import { compileExpr, programsToBundle, validatePrograms, type CompiledExpr } from '../../src/compile/expr/index.js';
import { evalReference } from '../../src/reference/expr.js';
import { ProgramHost } from '../../src/runtime/programs.js';
import { WasmInstance } from '../../src/runtime/wasm.js';
import type { FeatureSchema } from '../../src/runtime/features.js';
import { ExprGen, ENV, FEATURES, FRAME_SLOTS, randomInputs, sameValue } from '../helpers/expr.js';
import { randomDecisionSpec } from '../helpers/decisions.js';
import { randomJourneySpec, T0, TYPES, KINDS } from '../helpers/journeys.js';
import { randomXGBoostModel, toXGBoostJson } from '../helpers/random-xgb.js';
import { encodeXGBoostUbj } from '../helpers/xgb2.js';
import { randomScorecardSpec } from '../helpers/scorecards.js';
import { mulberry32 } from '../helpers/random.js';
import { csvTarget, ndjsonTarget } from './rows.js';
import { stateEngines, stateTarget } from './state.js';
import { cloneTree, defineKey, EDGE_NUMBERS, int, mutateBytes, mutateText, mutateTree, pick, type Rand } from './mutate.js';

export type FuzzInput = Uint8Array | string;

export interface Target {
  readonly name: string;
  /** What a case's input is, for saved files: bytes or UTF-8 text. */
  readonly kind: 'bytes' | 'text';
  /** One input: a seed mutated, or a fresh random one. */
  generate(rand: Rand): FuzzInput;
  /** Runs the input; `seen` is told every typed error code met along the way (the thrown one is reported by the runner). */
  run(input: FuzzInput, rand: Rand, seen: (code: string) => void): Promise<void> | void;
}

/** A failure of the library on a fuzz input (not a typed error). */
export class FuzzFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

/** Codes that are never an acceptable answer to any input: the kernel itself failed. */
export const FAILURE_CODES = new Set(['WASM_ABORT', 'WASM_TRAP']);

/** A typed error is recorded; anything else (and WASM_ABORT/WASM_TRAP) is rethrown as a failure. */
export function typed(e: unknown, seen: (code: string) => void): void {
  if (isTypedOutcome(e)) {
    seen(e.code);
    return;
  }
  throw e;
}

/**
 * A typed error that is an acceptable answer. Not WASM_ABORT/WASM_TRAP, and
 * not an ARGUMENT_INVALID that wraps a foreign error: the engine turns
 * anything a caller's getter or proxy throws into ARGUMENT_INVALID (with the
 * thrown error as `cause`), and fuzz inputs are plain data, so such a cause
 * can only be the engine's own bug (a TypeError, a RangeError) in disguise.
 */
export function isTypedOutcome(e: unknown): e is NextbestError {
  if (!(e instanceof NextbestError) || FAILURE_CODES.has(e.code)) return false;
  return !(e.code === 'ARGUMENT_INVALID' && e.cause !== undefined && !(e.cause instanceof NextbestError));
}

const WASM = 'debug' as const;

// ---- valid seeds, built once per process from fixed seeds

const MODELS = join(__dirname, '..', '..', 'models');

let seedBundles: Uint8Array[] | undefined;
let seedSpecs: string[] | undefined;
let seedXgb: { json: string; doc: Record<string, unknown> }[] | undefined;

function specs(): string[] {
  if (seedSpecs) return seedSpecs;
  const r = mulberry32(0x5eed);
  const out: string[] = [];
  for (let i = 0; i < 5; i++) {
    const b = randomDecisionSpec(r);
    out.push(JSON.stringify({ bundle: `d${i}`, version: '1', ...b.spec }, null, 1));
  }
  for (let i = 0; i < 4; i++) out.push(randomJourneySpec(r));
  out.push(SCORECARD_SPEC);
  // the shipped demo specs (bank: scorecard, journeys, decisions, triggers; journeys.yaml)
  for (const name of ['bank/bundle.yaml', 'journeys.yaml']) out.push(readFileSync(join(MODELS, name), 'utf8'));
  seedSpecs = out;
  return out;
}

/** A scorecard and a linear model over numeric and categorical features (as in test/compile/scorecard-spec.test.ts). */
const SCORECARD_SPEC = `
bundle: bank
version: "1"
features:
  age: numeric
  income: numeric
  housing: [own, rent, parents]
models:
  credit:
    scorecard:
      basePoints: 400
      scaling: { pdo: 20, baseScore: 600, baseOdds: 50 }
      characteristics:
        - feature: age
          reasonCode: AGE
          bins:
            - { below: 25, points: 10 }
            - { from: 25, below: 40, points: 25 }
            - { from: 40, points: 40 }
          missing: 15
        - feature: housing
          reasonCode: HOUSING
          bins:
            - { categories: [own], points: 50 }
            - { categories: [rent, parents], points: 20 }
  churn:
    linear:
      weights: { age: 0.1, income: -0.001 }
`;

function xgbSeeds(): { json: string; doc: Record<string, unknown> }[] {
  if (seedXgb) return seedXgb;
  const r = mulberry32(0x9b);
  seedXgb = [
    randomXGBoostModel(r, { trees: 3, maxDepth: 3 }),
    randomXGBoostModel(r, { trees: 2, objective: 'multi:softprob', maxDepth: 2 }),
    randomXGBoostModel(r, { trees: 4, objective: 'reg:squarederror', maxDepth: 4 }),
    randomXGBoostModel(r, { trees: 2, objective: 'binary:logitraw', maxDepth: 3 }),
  ].map((m) => ({ json: toXGBoostJson(m.doc), doc: m.doc }));
  return seedXgb;
}

async function bundles(): Promise<Uint8Array[]> {
  if (seedBundles) return seedBundles;
  const out: Uint8Array[] = [];
  for (const s of specs()) out.push(encodeBundle(compileSpec(new SpecSource(s, 'seed.yaml'))));
  for (const x of xgbSeeds().slice(0, 2)) out.push((await Model.fromXGBoost(x.json, { wasm: WASM })).toBundle());
  const r = mulberry32(0x5c);
  for (let i = 0; i < 2; i++) out.push((await Model.fromScorecard(randomScorecardSpec(r), { wasm: WASM })).toBundle());
  // the shipped demo bundles with journeys, decisions, triggers and learning (telco is left out: 700 KB per case is slow)
  for (const name of ['journeys', 'bank', 'retail']) out.push(new Uint8Array(readFileSync(join(MODELS, `${name}.nbb`))));
  seedBundles = out;
  return out;
}

/** Builds the seed corpus (bundles need async model loading); call once before generating. */
export async function prepareTargets(): Promise<void> {
  await bundles();
  await stateEngines();
  specs();
  xgbSeeds();
}

// ---- exercising a loaded engine with random (and hostile) inputs

const HOSTILE_STRINGS = ['', '__proto__', 'constructor', 'toString', 'x'.repeat(5000), '\u0000', '\uD800', 'NaN'];

function randomValue(rand: Rand, categories: readonly string[] | undefined): unknown {
  const r = rand();
  if (r < 0.04) return pick(rand, HOSTILE_STRINGS);
  if (r < 0.06) return pick(rand, [null, undefined, true, false, {}, [], [1]]);
  if (categories && categories.length && r < 0.8) return pick(rand, categories);
  if (r < 0.35) return pick(rand, EDGE_NUMBERS);
  return rand() < 0.5 ? int(rand, -5, 60) : (rand() - 0.5) * 100;
}

function randomFeatures(rand: Rand, schema: FeatureSchema): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const d of schema.defs) if (rand() < 0.8) o[d.name] = randomValue(rand, d.categories);
  if (rand() < 0.05) defineKey(o, pick(rand, ['__proto__', 'constructor', 'unknown_feature']), 1);
  return o;
}

const T_NOW = T0 + 3_600_000;

function randomTime(rand: Rand, base: number): number {
  const r = rand();
  if (r < 0.1) return pick(rand, EDGE_NUMBERS);
  return base + Math.floor((rand() - 0.2) * 7_200_000);
}

/** Calls every operation the loaded bundle offers with random inputs; typed errors are fine, results are checked. */
export function exercise(e: Engine, rand: Rand, seen: (code: string) => void): void {
  const attempt = (f: () => void) => {
    try {
      f();
    } catch (err) {
      typed(err, seen);
    }
  };
  for (const id of e.modelIds) {
    attempt(() => {
      const out = e.score(id, randomFeatures(rand, e.schema) as never);
      if (!(out instanceof Float32Array)) throw new FuzzFailure(`score(${id}) returned ${typeof out}`);
    });
  }
  const js = e.journeys;
  if (js) {
    for (let k = int(rand, 1, 6); k > 0; k--) {
      attempt(() => {
        const types = js.set.events;
        const ev = types.length ? pick(rand, types) : undefined;
        const event: Record<string, unknown> = { type: ev ? ev.name : pick(rand, TYPES), time: randomTime(rand, T0) };
        for (const a of ev?.attributes ?? []) if (rand() < 0.8) event[a.name] = randomValue(rand, a.type === 'categorical' ? (a.categories ?? KINDS) : undefined);
        e.observe(`c${int(rand, 0, 2)}`, event as never, rand() < 0.5 ? { features: randomFeatures(rand, e.schema) as never } : undefined);
      });
    }
    attempt(() => void e.advance(`c${int(rand, 0, 2)}`, randomTime(rand, T_NOW)));
  }
  if (e.actionIds.length) {
    for (let k = int(rand, 1, 3); k > 0; k--) {
      attempt(() => {
        const context: Record<string, unknown> = { now: rand() < 0.9 ? T_NOW : pick(rand, EDGE_NUMBERS) };
        for (const d of e.context.defs) if (rand() < 0.8) context[d.name] = randomValue(rand, d.categories);
        const d = e.decide({ customerId: `c${int(rand, 0, 2)}`, features: randomFeatures(rand, e.schema) as never, context: context as never }, { explain: rand() < 0.3 });
        checkDecision(d);
        const a = d.actions[0];
        if (a) {
          e.record({ customerId: `c${int(rand, 0, 2)}`, actionId: a.id, ...(a.channel ? { channel: a.channel } : {}), outcome: pick(rand, ['impression', 'accept', 'reject'] as const), at: T_NOW + int(rand, 0, 1000) });
        }
      });
    }
  }
}

function checkDecision(d: { actions: { id: string; priority: number; rank: number }[] }): void {
  if (!d || !Array.isArray(d.actions)) throw new FuzzFailure('decide returned no actions array');
  for (const a of d.actions) {
    if (!Number.isFinite(a.priority)) throw new FuzzFailure(`decide ranked action ${a.id} with priority ${a.priority}`);
    if (!Number.isInteger(a.rank) || a.rank < 1) throw new FuzzFailure(`decide ranked action ${a.id} with rank ${a.rank}`);
  }
}

// ---- targets

/** Mutated bundles: envelope bytes, or the decoded payload mutated and re-encoded with a valid checksum. */
const bundle: Target = {
  name: 'bundle',
  kind: 'bytes',
  generate(rand) {
    const src = pick(rand, seedBundles!);
    const r = rand();
    if (r < 0.2) return mutateBytes(rand, src);
    const env = decodeEnvelope(src);
    if (r < 0.3) {
      // the envelope's fields (magic, format, payload, sha256, keyId, extra keys)
      const tree = unpackValue(src, 'seed') as Record<string, unknown>;
      return packValue(mutateTree(rand, tree, 2));
    }
    const payload = unpackValue(env.payload, 'seed');
    const mutated = mutateTree(rand, payload, rand() < 0.7 ? 1 : 4);
    // a valid checksum, so the section validators are reached
    return encodeEnvelope(packValue(mutated));
  },
  async run(input, rand, seen) {
    const bytes = input as Uint8Array;
    // nextbest inspect / validate read the same bytes
    try {
      formatReport(inspectBundle(bytes));
    } catch (err) {
      typed(err, seen);
    }
    if (rand() < 0.1) {
      // a single model read from the bundle (Model.fromBundle): scored on edge rows
      const m = await Model.fromBundle(bytes, { wasm: WASM, ...(rand() < 0.5 ? {} : { id: 'model' }) });
      seen('LOADED');
      const nf = m.numFeatures;
      const rows = new Float32Array(Math.max(1, nf) * 3);
      for (let i = 0; i < rows.length; i++) rows[i] = rand() < 0.3 ? pick(rand, EDGE_NUMBERS) : (rand() - 0.5) * 20;
      m.predict(rows.subarray(0, nf * 3), 3);
      return;
    }
    if (rand() < 0.15) {
      // hot reload: a bundle that fails leaves the serving one in place
      const e = await Engine.load(seedBundles![0]!, { wasm: WASM });
      const before = e.info.sha256;
      try {
        await e.swap(bytes);
        seen('SWAPPED');
      } catch (err) {
        typed(err, seen);
        if (e.info.sha256 !== before) throw new FuzzFailure('a failed swap changed the serving bundle');
      }
      exercise(e, rand, seen);
      return;
    }
    const e = await Engine.load(bytes, { wasm: WASM });
    seen('LOADED');
    exercise(e, rand, seen);
  },
};

/** Specs: seed specs (decisions, journeys, scorecards) mutated as text or as trees; compiled, loaded and exercised. */
const spec: Target = {
  name: 'spec',
  kind: 'text',
  generate(rand) {
    const r = rand();
    if (r < 0.15) {
      // a fresh random spec, unmutated: the generators' whole range
      return rand() < 0.6 ? JSON.stringify({ bundle: 'r', version: '1', ...randomDecisionSpec(rand).spec }) : randomJourneySpec(rand);
    }
    const src = pick(rand, specs());
    if (r < 0.55) return mutateText(rand, src, 3);
    let tree: unknown;
    try {
      tree = parseYaml(src);
    } catch {
      return mutateText(rand, src, 2);
    }
    return JSON.stringify(mutateTree(rand, tree, 3), (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v));
  },
  async run(input, rand, seen) {
    const payload = compileSpec(new SpecSource(input as string, 'fuzz.yaml'));
    seen('COMPILED');
    const e = await Engine.load(encodeBundle(payload), { wasm: WASM });
    exercise(e, rand, seen);
  },
};

/** Journey specs: random patterns and aggregates mutated as text; compiled, loaded and fed random events. */
const journey: Target = {
  name: 'journey',
  kind: 'text',
  generate(rand) {
    const src = randomJourneySpec(rand);
    return rand() < 0.25 ? src : mutateText(rand, src, 3, ['notFollowedBy: a', 'followedBy: b', 'times: "1+"', 'within: 0m', 'optional: true', 'where: ', 'steps.s0.', 'journey.']);
  },
  async run(input, rand, seen) {
    const payload = compileSpec(new SpecSource(input as string, 'journey.yaml'));
    seen('COMPILED');
    const e = await Engine.load(encodeBundle(payload), { wasm: WASM });
    exercise(e, rand, seen);
  },
};

let exprWasm: WasmInstance | undefined;
let exprUses = 0;

/** Expressions: well-typed random ones, and the same mutated as text; compiled, then run on the debug VM against the reference. */
const expr: Target = {
  name: 'expr',
  kind: 'text',
  generate(rand) {
    const g = new ExprGen(rand);
    const src = g.any(int(rand, 0, 6));
    const r = rand();
    if (r < 0.45) return src;
    if (r < 0.9) return mutateText(rand, src, 3, ['score', 'coalesce(', 'clamp(', 'isMissing(', 'pow(', '1d', 'now', 'plan', '"gold"']);
    // nesting and length at the limits
    const d = int(rand, 1, 400);
    return pick(rand, ['(', '-', 'not ', 'abs(', '[']).repeat(d) + src + pick(rand, [')', '', ']']).repeat(d);
  },
  run(input, rand, seen) {
    const p: CompiledExpr = compileExpr(input as string, ENV);
    seen('COMPILED');
    if (!exprWasm || ++exprUses > 500) {
      exprWasm = WasmInstance.create(WASM);
      exprUses = 0;
    }
    const set = validatePrograms(programsToBundle([p]), { frameSlots: FRAME_SLOTS, features: FEATURES });
    const host = new ProgramHost(exprWasm, set);
    for (let k = 0; k < 3; k++) {
      const { frame, features } = randomInputs(rand);
      host.load(frame, features);
      const got = host.evalOne(0);
      const want = evalReference(p, frame, features);
      if (!sameValue(got, want)) throw new FuzzFailure(`debug VM ${got} != reference ${want} for ${p.source}`);
    }
  },
};

/** XGBoost JSON: seed models mutated as text or as documents; imported, placed and scored. */
const xgboostJson: Target = {
  name: 'xgboost-json',
  kind: 'text',
  generate(rand) {
    const s = pick(rand, xgbSeeds());
    if (rand() < 0.4) return mutateText(rand, s.json, 3);
    return toXGBoostJson(mutateTree(rand, s.doc, 3));
  },
  async run(input, rand, seen) {
    await importAndScore(input, undefined, rand, seen);
  },
};

/** XGBoost UBJ: seed models encoded as UBJ, mutated as bytes or as documents. */
const xgboostUbj: Target = {
  name: 'xgboost-ubj',
  kind: 'bytes',
  generate(rand) {
    const s = pick(rand, xgbSeeds());
    if (rand() < 0.5) return mutateBytes(rand, encodeXGBoostUbj(s.doc), 4);
    return encodeXGBoostUbj(mutateTree(rand, cloneTree(s.doc), 3));
  },
  async run(input, rand, seen) {
    await importAndScore(input, 'ubj', rand, seen);
  },
};

async function importAndScore(input: FuzzInput, format: 'ubj' | undefined, rand: Rand, seen: (code: string) => void): Promise<void> {
  importXGBoost(input, format ? { format } : {});
  seen('IMPORTED');
  const m = await Model.fromXGBoost(input as never, { wasm: WASM, ...(format ? { format } : {}) });
  const nf = m.schema.size;
  const rows = new Float32Array(nf * 4);
  for (let i = 0; i < rows.length; i++) rows[i] = rand() < 0.3 ? pick(rand, EDGE_NUMBERS) : (rand() - 0.5) * 20;
  const out = m.predict(rows, 4);
  if (!(out instanceof Float32Array)) throw new FuzzFailure('predict returned no Float32Array');
}

export const TARGETS: readonly Target[] = [bundle, spec, journey, expr, xgboostJson, xgboostUbj, csvTarget, ndjsonTarget, stateTarget];

export function targetByName(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz target "${name}"; targets: ${TARGETS.map((x) => x.name).join(', ')}`);
  return t;
}
