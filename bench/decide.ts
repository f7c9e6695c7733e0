/**
 * Decision latency: a telco-like bundle with 50 actions (50 eligibility
 * rules, plus group rules and suitability), one churn model, three contact
 * policies and context weights, over 1000 customers with contact histories.
 * Peers measured in the same run, interleaved:
 *   engine.decide            JS request object -> JS result (features encoded, history from the store)
 *   engine.decide + explain  the same with the explanation of every action
 *   reference twin           the plain-TS decision function (src/reference/decide.ts) from the same
 *                            JS request (features and context encoded, history from the same store)
 *   kernel only              the decide export on inputs already in wasm memory
 *   rules stage              the 50 eligibility programs of the bundle in one crossing (evalPrograms)
 * Each call is timed alone (the clock's own cost subtracted); p50 and p99 in
 * microseconds. Run with `npm run bench:decide`. On a shared machine p99 is
 * mostly preemption; compare peers by p50 in the same run.
 */
import { compileSpec, Engine, MemoryStore, SpecSource } from '../src/index.js';
import { encodeBundle } from '../src/bundle/codec.js';
import type { Decisions } from '../src/decide/decider.js';
import { referenceDecide } from '../src/reference/decide.js';
import { section } from '../src/state/layout.js';
import { ProgramHost } from '../src/runtime/programs.js';
import type { ModelTable } from '../src/models/registry.js';
import type { FeatureObject } from '../src/runtime/features.js';

const PLANS = ['basic', 'standard', 'gold', 'premium', 'vip'];
const REGIONS = ['north', 'south', 'east', 'west', 'center', 'islands', 'metro', 'rural'];
const CHANNELS = ['app', 'web', 'email', 'sms', 'call_center'];
const CONTRACTS = ['prepaid', 'postpaid', 'business'];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ten rule templates (as bench/rules.ts), five variants each: 50 eligibility rules. */
function rule(k: number): string {
  const i = Math.floor(k / 10);
  const p = [PLANS[(i + 2) % 5], PLANS[(i + 3) % 5]];
  const ch = [CHANNELS[i % 5], CHANNELS[(i + 1) % 5]];
  const rs = [REGIONS[i], REGIONS[i + 1], REGIONS[i + 3]];
  switch (k % 10) {
    case 0:
      return `tenure_months > ${6 + i * 6} and plan in ["${p[0]}", "${p[1]}"]`;
    case 1:
      return `score.churn > ${(0.05 + i * 0.05).toFixed(2)} and dropped_calls_24h < 3`;
    case 2:
      return `age >= ${18 + i * 5} and credit_score > ${550 + i * 40}`;
    case 3:
      return `context.channel in ["${ch[0]}", "${ch[1]}"] or monthly_spend > ${30 + i * 20}`;
    case 4:
      return `data_usage_gb > ${5 + i * 8} and plan not in ["${PLANS[4 - i]}"]`;
    case 5:
      return `(num_complaints >= ${1 + (i % 3)} or dropped_calls_24h >= 3) and tenure_months < ${24 + i * 12}`;
    case 6:
      return `monthly_spend >= ${20 + i * 15} and region in ["${rs.join('", "')}"]`;
    case 7:
      return `device_age_months > ${12 + i * 6} and not (is_roaming > 0) and contract_type == "${CONTRACTS[i % 3]}"`;
    case 8:
      return `credit_score > ${500 + i * 30}`;
    default:
      return `age < ${30 + i * 10} or tenure_months > ${12 + i}`;
  }
}

function spec(): string {
  const actions: string[] = [];
  for (let k = 0; k < 50; k++) {
    const service = k % 10 === 5;
    const group = service ? 'care' : k % 3 === 0 ? 'retention' : k % 3 === 1 ? 'growth' : 'loyalty';
    const channels = [CHANNELS[k % 5], CHANNELS[(k + 2) % 5], CHANNELS[(k + 4) % 5]];
    const propensity = group === 'retention' ? `score.churn * ${(0.5 + (k % 7) / 10).toFixed(1)}` : service ? '0.7' : `clamp(monthly_spend / ${200 + k * 10}, 0.01, 0.6)`;
    actions.push(
      `  a${k}:\n    kind: ${service ? 'service' : 'sale'}\n    group: ${group}\n    channels: [${channels.join(', ')}]\n    propensity: ${propensity}\n    value: ${10 + ((k * 37) % 150)}\n    eligibility: '${rule(k)}'`,
    );
  }
  return `bundle: bench-telco
version: "1"
features:
  tenure_months: numeric
  age: numeric
  monthly_spend: numeric
  data_usage_gb: numeric
  plan: [${PLANS.join(', ')}]
  region: [${REGIONS.join(', ')}]
  device_age_months: numeric
  num_complaints: numeric
  is_roaming: numeric
  contract_type: [${CONTRACTS.join(', ')}]
  credit_score: numeric
  dropped_calls_24h: numeric
context:
  channel: [${CHANNELS.join(', ')}]
models:
  churn:
    linear:
      intercept: -1.5
      link: logit
      weights:
        tenure_months: -0.02
        age: -0.01
        monthly_spend: 0.004
        num_complaints: 0.35
        dropped_calls_24h: 0.3
        device_age_months: 0.01
        credit_score: -0.001
        plan: { basic: 0.3, vip: -0.4 }
        contract_type: { prepaid: 0.5, business: -0.3 }
groups:
  care:
    suppresses: { kind: sale }
    eligibility: dropped_calls_24h >= 3
  retention:
    lever: 10
    exclusive: retention_offer
    suitability: score.churn > 0.1
  growth:
    applicability: credit_score > 500
  loyalty: {}
actions:
${actions.join('\n')}
policies:
  email_weekly: { channel: email, max: 1, per: 7d }
  reject_backoff: { each: action, count: reject, after: 2, within: 90d, suppress: 30d }
  no_reoffer: { each: action, suppress: 2d }
arbitration:
  limit: 3
  context:
    - when: context.channel == "call_center"
      group: retention
      weight: 1.5
    - when: context.channel == "email"
      kind: sale
      weight: 0.8
`;
}

interface Customer {
  id: string;
  features: FeatureObject;
  channel: string;
}

function customers(n: number, rand: () => number): Customer[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    channel: pick(CHANNELS),
    features: {
      tenure_months: Math.floor(rand() * 120),
      age: 16 + Math.floor(rand() * 70),
      monthly_spend: Math.round(rand() * 20000) / 100,
      data_usage_gb: Math.round(rand() * 500) / 10,
      plan: pick(PLANS),
      region: pick(REGIONS),
      device_age_months: Math.floor(rand() * 60),
      num_complaints: Math.floor(rand() * rand() * 8),
      is_roaming: rand() < 0.1 ? 1 : 0,
      contract_type: pick(CONTRACTS),
      credit_score: 300 + Math.floor(rand() * 550),
      dropped_calls_24h: rand() < 0.1 ? 3 + Math.floor(rand() * 5) : Math.floor(rand() * 3),
    },
  }));
}

const now = process.hrtime.bigint;
let clockNs = -1;
function clockCost(): number {
  if (clockNs >= 0) return clockNs;
  const s: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const a = now();
    const b = now();
    s.push(Number(b - a));
  }
  s.sort((x, y) => x - y);
  clockNs = s[s.length >> 1]!;
  return clockNs;
}

/** Times fn(i) call by call; returns samples in ns. */
function sample(fn: (i: number) => unknown, n: number, into: number[], offset: number): void {
  const cost = clockCost();
  for (let i = 0; i < n; i++) {
    const a = now();
    fn(offset + i);
    const b = now();
    into.push(Math.max(0, Number(b - a) - cost));
  }
}

function stats(ns: number[]): { p50: number; p99: number } {
  const s = [...ns].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length * 0.5)]! / 1000, p99: s[Math.floor(s.length * 0.99)]! / 1000 };
}

export async function run(): Promise<void> {
  const rand = mulberry32(2026);
  const store = new MemoryStore();
  const engine = await Engine.load(encodeBundle(compileSpec(new SpecSource(spec(), 'bench-telco.yaml'))), { store });
  const d = (engine as unknown as { decisions: Decisions }).decisions;
  const t = d.tables;
  const cs = customers(1000, rand);
  const NOW = Date.UTC(2026, 0, 15, 12);
  // contact histories for half of the customers
  for (const c of cs) {
    if (rand() < 0.5) continue;
    for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) {
      const a = t.actions[Math.floor(rand() * t.actions.length)]!;
      engine.record({
        customerId: c.id,
        actionId: a.id,
        channel: t.channels[a.channels[Math.floor(rand() * a.channels.length)]!]!,
        outcome: rand() < 0.6 ? 'impression' : 'reject',
        at: NOW - Math.floor(rand() * 60 * 86_400_000),
      });
    }
  }
  const requests = cs.map((c) => ({ customerId: c.id, features: c.features, context: { now: NOW, channel: c.channel } }));
  const nRules = t.actions.reduce((s, a) => s + a.rules.length, 0);

  // the reference peer: same JS request -> encode -> referenceDecide -> result objects
  const models = new Map<string, ModelTable>(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
  const contactsOffset = section(d.layout, 'contacts')!.offset;
  const channelSlot = t.frame.channelSlot;
  const fresh = d.freshState();
  const referencePeer = (i: number) => {
    const req = requests[i % requests.length]!;
    const features = engine.schema.encode(req.features);
    const frame = new Float64Array(t.frame.slots).fill(NaN);
    const c = t.channels.indexOf(req.context.channel);
    frame[channelSlot] = c;
    const r = referenceDecide(t, models, { features, frame, state: store.get(req.customerId) ?? fresh, contactsOffset, now: NOW, channels: [c], limit: t.arbitration.limit });
    return r.ranked.map((k) => {
      const rec = r.records[k]!;
      const a = t.actions[rec.action]!;
      return { id: a.id, kind: a.kind, channel: t.channels[rec.channel], priority: rec.priority, propensity: rec.propensity, value: rec.value, context: rec.context, lever: rec.lever };
    });
  };
  // agree before timing
  let selected = 0;
  for (let i = 0; i < 200; i++) {
    const w = engine.decide(requests[i]!).actions.map((a) => `${a.id}@${a.channel}:${a.priority}`);
    const r = referencePeer(i).map((a) => `${a.id}@${a.channel}:${a.priority}`);
    if (w.join() !== r.join()) throw new Error(`peers disagree on customer ${i}: ${w.join()} vs ${r.join()}`);
    selected += w.length;
  }

  // kernel only: inputs already in wasm memory (those of the last decide call)
  const wasm = engine.wasm;
  const kernelArgs = (() => {
    engine.decide(requests[0]!);
    const p = d as unknown as { placed: { dt: number }; featuresPtr: number; framePtr: number; statePtr: number; outPtr: number };
    const ch = t.channels.indexOf(requests[0]!.context.channel);
    return [p.placed.dt, p.featuresPtr, p.framePtr, p.statePtr, NOW, 1 << ch, 0, 3, 0, p.outPtr] as const;
  })();
  const kernelOnly = () => wasm.exports.decide(...kernelArgs);
  // rules stage: the 50 action eligibility programs (without group rules), one crossing
  const ruleProgs = t.actions.map((a) => a.rules[a.tiers[0] - 1]![1]);
  const ruleSet = { ...t.programs, programs: ruleProgs.map((p) => t.programs.programs[p]!) };
  const host = new ProgramHost(wasm, ruleSet);
  const frameIn = new Float64Array(t.frame.slots).fill(0.3);
  const featIn = engine.schema.encode(cs[0]!.features);
  host.load(frameIn, featIn);
  const rulesStage = () => host.evalAll();

  const peers: [string, (i: number) => unknown][] = [
    ['engine.decide (JS object -> JS result)', (i) => engine.decide(requests[i % requests.length]!)],
    ['engine.decide, explain: true', (i) => engine.decide(requests[i % requests.length]!, { explain: true })],
    ['reference twin (plain TS)', referencePeer],
    ['kernel only (inputs in wasm memory)', kernelOnly],
    [`rules stage: ${ruleProgs.length} eligibility programs, one crossing`, rulesStage],
  ];
  const samples = peers.map(() => [] as number[]);
  const ROUNDS = 20;
  const PER_ROUND = 2000;
  for (let round = -2; round < ROUNDS; round++) {
    peers.forEach(([, fn], k) => {
      const into: number[] = [];
      sample(fn, PER_ROUND, into, (round + 2) * PER_ROUND);
      if (round >= 0) samples[k]!.push(...into);
    });
  }
  console.log(
    `decide: ${t.actions.length} actions, ${nRules} rules (${t.actions.length} eligibility + group rules), 1 linear model, ${t.policies.length} policies, ` +
      `${cs.length} customers (half with history), one channel per request; ${(selected / 200).toFixed(2)} actions selected per decision; node ${process.version}`,
  );
  console.log('peer (us per call)'.padEnd(56) + 'p50'.padStart(9) + 'p99'.padStart(9) + 'p50 / decide'.padStart(14));
  const base = stats(samples[0]!).p50;
  peers.forEach(([name], k) => {
    const s = stats(samples[k]!);
    console.log(name.padEnd(56) + s.p50.toFixed(2).padStart(9) + s.p99.toFixed(2).padStart(9) + (s.p50 / base).toFixed(2).padStart(14));
  });
}
