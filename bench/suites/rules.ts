/**
 * Rule evaluation, measured for bench/suites/rules.bench.mjs (which bundles
 * this file on the fly: it uses compiler internals the package does not
 * export): 50 realistic eligibility rules per customer, in three peers on the
 * same customers:
 *   wasm VM            all 50 programs in one crossing (ProgramHost.evalAll), inputs copied in each time
 *   reference          the plain-TS bytecode interpreter (src/reference/expr.ts)
 *   json-rules-engine  the same 50 rules as JSON conditions, engine.run(facts)
 * and a floor (50 programs that only return `true`, same crossing and copy).
 * Timed in interleaved batches of 100 customers (json-rules-engine: per run);
 * the result is ns per rule per sample, summarized as best, median and p99.
 * All three must agree on every rule for 200 customers before anything is timed.
 */
import { Engine } from 'json-rules-engine';
import { compileExpr, mapEnv, programsToBundle, validatePrograms, type Binding } from '../../src/compile/expr/index.js';
import { evalReference } from '../../src/reference/expr.js';
import { WasmInstance } from '../../src/runtime/wasm.js';
import { ProgramHost } from '../../src/runtime/programs.js';

const num = { kind: 'number' } as const;
const bool = { kind: 'bool' } as const;
const cat = (dict: string, values: string[]) => ({ kind: 'category', dict, values }) as const;
const PLANS = ['basic', 'standard', 'gold', 'premium', 'vip'];
const REGIONS = ['north', 'south', 'east', 'west', 'center', 'islands', 'metro', 'rural'];
const CHANNELS = ['app', 'web', 'email', 'sms', 'call_center'];
const CONTRACTS = ['prepaid', 'postpaid', 'business'];

/** name in expressions -> [fact name for json-rules-engine, binding, generator] */
const FIELDS: [string, string, Binding, (r: () => number) => number | string | boolean][] = [
  ['tenure_months', 'tenure_months', { type: num, source: 'features', index: 0 }, (r) => Math.floor(r() * 120)],
  ['age', 'age', { type: num, source: 'features', index: 1 }, (r) => 16 + Math.floor(r() * 70)],
  ['monthly_spend', 'monthly_spend', { type: num, source: 'features', index: 2 }, (r) => Math.round(r() * 20000) / 100],
  ['data_usage_gb', 'data_usage_gb', { type: num, source: 'features', index: 3 }, (r) => Math.round(r() * 500) / 10],
  ['plan', 'plan', { type: cat('plan', PLANS), source: 'features', index: 4 }, (r) => PLANS[Math.floor(r() * PLANS.length)]!],
  ['region', 'region', { type: cat('region', REGIONS), source: 'features', index: 5 }, (r) => REGIONS[Math.floor(r() * REGIONS.length)]!],
  ['device_age_months', 'device_age_months', { type: num, source: 'features', index: 6 }, (r) => Math.floor(r() * 60)],
  ['num_complaints', 'num_complaints', { type: num, source: 'features', index: 7 }, (r) => Math.floor(r() * r() * 8)],
  ['is_roaming', 'is_roaming', { type: bool, source: 'features', index: 8 }, (r) => r() < 0.1],
  ['contract_type', 'contract_type', { type: cat('contract', CONTRACTS), source: 'features', index: 9 }, (r) => CONTRACTS[Math.floor(r() * 3)]!],
  ['credit_score', 'credit_score', { type: num, source: 'features', index: 10 }, (r) => 300 + Math.floor(r() * 550)],
  ['score.churn', 'score_churn', { type: num, source: 'frame', slot: 0 }, (r) => r()],
  ['score.upsell', 'score_upsell', { type: num, source: 'frame', slot: 1 }, (r) => r()],
  ['score.credit', 'score_credit', { type: num, source: 'frame', slot: 2 }, (r) => r()],
  ['context.channel', 'context_channel', { type: cat('channel', CHANNELS), source: 'frame', slot: 3 }, (r) => CHANNELS[Math.floor(r() * CHANNELS.length)]!],
  ['journey.walkout', 'journey_walkout', { type: bool, source: 'frame', slot: 4 }, (r) => r() < 0.2],
  ['journey.connection_trouble', 'journey_connection_trouble', { type: bool, source: 'frame', slot: 5 }, (r) => r() < 0.1],
  ['last_contact_days', 'last_contact_days', { type: num, source: 'frame', slot: 6 }, (r) => Math.floor(r() * 90)],
];
const FRAME_SLOTS = 7;
const FEATURES = 11;

type Cond = { fact: string; operator: string; value: unknown } | { all: Cond[] } | { any: Cond[] };
interface Rule {
  expr: string;
  json: Cond;
}

const c = (fact: string, operator: string, value: unknown): Cond => ({ fact, operator, value });

/** 50 rules from ten templates with varied constants. */
function rules(): Rule[] {
  const out: Rule[] = [];
  for (let i = 0; i < 5; i++) {
    const a = 6 + i * 6;
    const p = [PLANS[(i + 2) % 5]!, PLANS[(i + 3) % 5]!];
    out.push({ expr: `tenure_months > ${a} and plan in ["${p[0]}", "${p[1]}"]`, json: { all: [c('tenure_months', 'greaterThan', a), c('plan', 'in', p)] } });
    const t = 0.2 + i * 0.1;
    out.push({ expr: `score.churn > ${t} and not journey.walkout`, json: { all: [c('score_churn', 'greaterThan', t), c('journey_walkout', 'equal', false)] } });
    out.push({ expr: `age >= ${18 + i * 5} and credit_score > ${550 + i * 40}`, json: { all: [c('age', 'greaterThanInclusive', 18 + i * 5), c('credit_score', 'greaterThan', 550 + i * 40)] } });
    const ch = [CHANNELS[i % 5]!, CHANNELS[(i + 1) % 5]!];
    out.push({
      expr: `context.channel in ["${ch[0]}", "${ch[1]}"] and monthly_spend > ${30 + i * 20}`,
      json: { all: [c('context_channel', 'in', ch), c('monthly_spend', 'greaterThan', 30 + i * 20)] },
    });
    out.push({ expr: `data_usage_gb > ${5 + i * 8} and plan not in ["${PLANS[4 - i]}"]`, json: { all: [c('data_usage_gb', 'greaterThan', 5 + i * 8), c('plan', 'notIn', [PLANS[4 - i]])] } });
    out.push({
      expr: `(num_complaints >= ${1 + (i % 3)} or journey.connection_trouble) and tenure_months < ${24 + i * 12}`,
      json: { all: [{ any: [c('num_complaints', 'greaterThanInclusive', 1 + (i % 3)), c('journey_connection_trouble', 'equal', true)] }, c('tenure_months', 'lessThan', 24 + i * 12)] },
    });
    const rs = [REGIONS[i]!, REGIONS[i + 1]!, REGIONS[i + 3]!];
    out.push({
      expr: `score.upsell > ${0.3 + i * 0.1} and monthly_spend >= ${20 + i * 15} and region in ["${rs.join('", "')}"]`,
      json: { all: [c('score_upsell', 'greaterThan', 0.3 + i * 0.1), c('monthly_spend', 'greaterThanInclusive', 20 + i * 15), c('region', 'in', rs)] },
    });
    out.push({
      expr: `device_age_months > ${12 + i * 6} and not is_roaming and contract_type == "${CONTRACTS[i % 3]}"`,
      json: { all: [c('device_age_months', 'greaterThan', 12 + i * 6), c('is_roaming', 'equal', false), c('contract_type', 'equal', CONTRACTS[i % 3])] },
    });
    out.push({ expr: `last_contact_days > ${7 + i * 7}`, json: { all: [c('last_contact_days', 'greaterThan', 7 + i * 7)] } });
    out.push({
      expr: `score.credit < ${0.2 + i * 0.1} or age < ${21 + i * 3}`,
      json: { any: [c('score_credit', 'lessThan', 0.2 + i * 0.1), c('age', 'lessThan', 21 + i * 3)] },
    });
  }
  return out;
}

interface Customer {
  facts: Record<string, number | string | boolean>;
  frame: Float64Array;
  features: Float32Array;
}

function customers(n: number, r: () => number): Customer[] {
  return Array.from({ length: n }, () => {
    const facts: Customer['facts'] = {};
    const frame = new Float64Array(FRAME_SLOTS);
    const features = new Float32Array(FEATURES);
    for (const [, fact, b, gen] of FIELDS) {
      const v = gen(r);
      facts[fact] = v;
      const x = typeof v === 'string' ? (b.type as { values: readonly string[] }).values.indexOf(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v;
      if (b.source === 'frame') frame[b.slot] = x;
      else if (b.source === 'features') features[b.index] = x;
    }
    return { facts, frame, features };
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface PeerSummary {
  name: string;
  /** ns per rule: the best, median and 99th percentile sample. */
  best: number;
  median: number;
  p99: number;
}

function summary(name: string, nsPerRule: number[]): PeerSummary {
  const s = [...nsPerRule].sort((a, b) => a - b);
  return { name, best: s[0]!, median: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

export interface RulesOptions {
  /** Seeded uniform [0, 1) generator for the customers. */
  rand: () => number;
  /** Timed samples of 100 customers per peer (after as many warm-up samples). */
  samples: number;
  /** Timed json-rules-engine runs (one customer each, after 100 warm-up runs). */
  jreRuns: number;
}

export interface RulesMeasurement {
  rules: number;
  customers: number;
  /** Share of the rules that are true on the checked customers. */
  trueShare: number;
  wasm: PeerSummary;
  reference: PeerSummary;
  jsonRulesEngine: PeerSummary;
  floor: PeerSummary;
  /** Each evaluates all rules for customer i (modulo the population), for throughput runs. */
  evaluate: { wasm: (i: number) => number; reference: (i: number) => number; jsonRulesEngine: (i: number) => Promise<number> };
}

export async function measureRules({ rand, samples, jreRuns }: RulesOptions): Promise<RulesMeasurement> {
  const rs = rules();
  const env = mapEnv(Object.fromEntries(FIELDS.map(([name, , b]) => [name, b])));
  const progs = rs.map((r) => compileExpr(r.expr, env, { expect: 'bool' }));
  const set = validatePrograms(programsToBundle(progs), { frameSlots: FRAME_SLOTS, features: FEATURES });
  const wasm = WasmInstance.create('release');
  const host = new ProgramHost(wasm, set);
  // The floor: 50 programs that only return (`true`), same crossing and input copy.
  const trivial = Array.from({ length: rs.length }, () => compileExpr('true', env));
  const floor = new ProgramHost(wasm, validatePrograms(programsToBundle(trivial), { frameSlots: FRAME_SLOTS, features: FEATURES }));
  const cs = customers(1000, rand);
  const nRules = rs.length;

  // Same answers from all three before timing anything.
  const engine = new Engine(
    rs.map((r, i) => ({ conditions: r.json as never, event: { type: `r${i}` }, priority: 1 })),
    { allowUndefinedFacts: true },
  );
  let fired = 0;
  for (const cu of cs.slice(0, 200)) {
    host.load(cu.frame, cu.features);
    const w = host.evalAll();
    const out = await engine.run(cu.facts);
    const jre = new Set(out.events.map((e) => e.type));
    for (let i = 0; i < nRules; i++) {
      const ref = evalReference(progs[i]!, cu.frame, cu.features);
      if (w[i] !== ref || (ref === 1) !== jre.has(`r${i}`)) {
        throw new Error(`peers disagree on rule ${i} (${rs[i]!.expr}): wasm ${w[i]}, reference ${ref}, json-rules-engine ${jre.has(`r${i}`)}`);
      }
      fired += ref;
    }
  }

  // All rules of one customer, per peer (the sum keeps the work from being optimized away).
  const runHost = (h: ProgramHost) => (cu: Customer) => {
    h.load(cu.frame, cu.features);
    return h.evalAll()[nRules - 1]!;
  };
  const evalWasm = runHost(host);
  const evalFloor = runHost(floor);
  const evalRef = (cu: Customer) => {
    let n = 0;
    for (let i = 0; i < nRules; i++) n += evalReference(progs[i]!, cu.frame, cu.features);
    return n;
  };

  const BATCH = 100; // customers per timed sample
  let sink = 0;
  /** ns per rule over BATCH customers from `base`. */
  const sample = (evaluate: (cu: Customer) => number, base: number) => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < BATCH; k++) sink += evaluate(cs[(base + k) % cs.length]!);
    return Number(process.hrtime.bigint() - t0) / (BATCH * nRules);
  };
  let wasmNs: number[] = [];
  let refNs: number[] = [];
  let floorNs: number[] = [];
  // Two passes, interleaved sample by sample; the first warms up and is dropped.
  for (let pass = 0; pass < 2; pass++) {
    [wasmNs, refNs, floorNs] = [[], [], []];
    for (let s = 0; s < samples; s++) {
      const base = (s * BATCH) % cs.length;
      wasmNs.push(sample(evalWasm, base));
      floorNs.push(sample(evalFloor, base));
      refNs.push(sample(evalRef, base));
    }
  }
  const jreNs: number[] = [];
  for (let s = 0; s < jreRuns + 100; s++) {
    const cu = cs[s % cs.length]!;
    const t0 = process.hrtime.bigint();
    const out = await engine.run(cu.facts);
    jreNs.push(Number(process.hrtime.bigint() - t0) / nRules);
    sink += out.events.length;
  }
  if (sink === 0) throw new Error('no rule was ever true: the benchmark measured nothing');
  return {
    rules: nRules,
    customers: cs.length,
    trueShare: fired / (200 * nRules),
    wasm: summary('wasm VM', wasmNs),
    reference: summary('reference interpreter', refNs),
    jsonRulesEngine: summary('json-rules-engine', jreNs.slice(100)),
    floor: summary('floor', floorNs),
    evaluate: {
      wasm: (i) => evalWasm(cs[i % cs.length]!),
      reference: (i) => evalRef(cs[i % cs.length]!),
      jsonRulesEngine: async (i) => (await engine.run(cs[i % cs.length]!.facts)).events.length,
    },
  };
}
