/**
 * Decisions: a telco-like bundle with 50 actions (one eligibility rule each
 * from the ten templates of bench/rules.ts, plus group rules: 86 rules), the
 * 300-tree XGBoost churn model of the parity fixtures
 * (test/fixtures/xgb/bench_300x6.ubj.gz) read by 17 actions' propensities and
 * a group rule, 3 contact policies and 2 context weights; 1000 customers
 * (model features drawn from the fixture's rows), half with a contact history
 * in the engine's MemoryStore; one channel per request, limit 3.
 *
 * Peers in the same run, interleaved (each call timed alone):
 *   engine.decide            JS request object -> JS result (features encoded, history from the store)
 *   engine.decide + explain  the same, with the explanation of every action
 *   reference twin           the plain-TS decision function (src/reference/decide.ts) from the same
 *                            request and store, with the trees walked in TS
 *   kernel only              the decide export on inputs already in wasm memory
 *   churn model alone        the 300 trees for one row, inside wasm (engine.score on a Float32Array)
 *   rules stage              the 50 eligibility programs in one crossing (evalPrograms)
 * and a bundle without the model (propensities from customer features) to
 * show what the trees cost inside a decision.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, Engine, MemoryStore } from '../../dist/index.js';
import { referenceDecide } from '../../dist/reference.js';
import { BENCH_DIR, latency, mulberry32, options, record } from '../lib.mjs';

const FIXTURES = join(BENCH_DIR, '..', 'test', 'fixtures', 'xgb');
const MODEL_FEATURES = ['tenure_months', 'monthly_charges', 'total_spend', 'support_calls_90d', 'age', 'days_since_login', 'num_products', 'discount_pct', 'late_payments_12m', 'data_usage_gb'];
const PLANS = ['basic', 'standard', 'gold', 'premium', 'vip'];
const REGIONS = ['north', 'south', 'east', 'west', 'center', 'islands', 'metro', 'rural'];
const CHANNELS = ['app', 'web', 'email', 'sms', 'call_center'];
const CONTRACTS = ['prepaid', 'postpaid', 'business'];
const NOW = Date.UTC(2026, 0, 15, 12);

/** The ten rule templates of bench/rules.ts, five variants each. */
function rule(k) {
  const i = Math.floor(k / 10);
  const p = [PLANS[(i + 2) % 5], PLANS[(i + 3) % 5]];
  const ch = [CHANNELS[i % 5], CHANNELS[(i + 1) % 5]];
  const rs = [REGIONS[i], REGIONS[i + 1], REGIONS[i + 3]];
  switch (k % 10) {
    case 0: return `tenure_months > ${6 + i * 6} and plan in ["${p[0]}", "${p[1]}"]`;
    case 1: return `support_calls_90d < ${3 + i} and dropped_calls_24h < 3`;
    case 2: return `age >= ${18 + i * 5} and credit_score > ${550 + i * 40}`;
    case 3: return `context.channel in ["${ch[0]}", "${ch[1]}"] or monthly_charges > ${30 + i * 20}`;
    case 4: return `data_usage_gb > ${5 + i * 8} and plan not in ["${PLANS[4 - i]}"]`;
    case 5: return `(support_calls_90d >= ${1 + (i % 3)} or dropped_calls_24h >= 3) and tenure_months < ${24 + i * 12}`;
    case 6: return `monthly_charges >= ${20 + i * 15} and region in ["${rs.join('", "')}"]`;
    case 7: return `device_age_months > ${12 + i * 6} and not (is_roaming > 0) and contract_type == "${CONTRACTS[i % 3]}"`;
    case 8: return `credit_score > ${500 + i * 30}`;
    default: return `age < ${30 + i * 10} or tenure_months > ${12 + i}`;
  }
}

function spec(withModel) {
  const actions = [];
  for (let k = 0; k < 50; k++) {
    const service = k % 10 === 5;
    const group = service ? 'care' : k % 3 === 0 ? 'retention' : k % 3 === 1 ? 'growth' : 'loyalty';
    const channels = [CHANNELS[k % 5], CHANNELS[(k + 2) % 5], CHANNELS[(k + 4) % 5]];
    const churn = withModel ? 'score.churn' : 'clamp(support_calls_90d / 10, 0.01, 0.9)';
    const propensity = group === 'retention' ? `${churn} * ${(0.5 + (k % 7) / 10).toFixed(1)}` : service ? '0.7' : `clamp(monthly_charges / ${200 + k * 10}, 0.01, 0.6)`;
    actions.push(`  a${k}:\n    kind: ${service ? 'service' : 'sale'}\n    group: ${group}\n    channels: [${channels.join(', ')}]\n    propensity: "${propensity}"\n    value: ${10 + ((k * 37) % 150)}\n    eligibility: '${rule(k)}'`);
  }
  const features = [...MODEL_FEATURES.map((f) => `  ${f}: numeric`), `  plan: [${PLANS.join(', ')}]`, `  region: [${REGIONS.join(', ')}]`, `  contract_type: [${CONTRACTS.join(', ')}]`, '  device_age_months: numeric', '  is_roaming: numeric', '  credit_score: numeric', '  dropped_calls_24h: numeric'];
  return `bundle: bench-telco
version: "1"
features:
${features.join('\n')}
context:
  channel: [${CHANNELS.join(', ')}]
${withModel ? `models:\n  churn:\n    xgboost: ${join(FIXTURES, 'bench_300x6.ubj.gz')}\n` : ''}groups:
  care:
    suppresses: { kind: sale }
    eligibility: dropped_calls_24h >= 3
  retention:
    lever: 10
    exclusive: retention_offer
    suitability: ${withModel ? 'score.churn > 0.1' : 'support_calls_90d > 0'}
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

function customers(n, rand) {
  const buf = readFileSync(join(FIXTURES, 'bench_300x6.rows.f32'));
  const rows = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const nRows = rows.length / MODEL_FEATURES.length;
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const features = {};
    MODEL_FEATURES.forEach((f, j) => {
      const v = rows[Math.floor(rand() * nRows) * MODEL_FEATURES.length + j];
      features[f] = Number.isNaN(v) ? null : v;
    });
    Object.assign(features, {
      plan: pick(PLANS),
      region: pick(REGIONS),
      contract_type: pick(CONTRACTS),
      device_age_months: Math.floor(rand() * 60),
      is_roaming: rand() < 0.1 ? 1 : 0,
      credit_score: 300 + Math.floor(rand() * 550),
      dropped_calls_24h: rand() < 0.1 ? 3 + Math.floor(rand() * 5) : Math.floor(rand() * 3),
    });
    return { customerId: `c${i}`, features, context: { now: NOW, channel: pick(CHANNELS) } };
  });
}

async function engineFor(withModel, requests, rand) {
  const dir = mkdtempSync(join(tmpdir(), 'nb-bench-decide-'));
  const path = join(dir, 'telco.yaml');
  writeFileSync(path, spec(withModel));
  const store = new MemoryStore();
  const engine = await Engine.load(await buildBundle(path, { created: '2026-01-01T00:00:00Z' }), { store });
  const t = engine.decisions.tables;
  const hist = mulberry32(99);
  for (const req of requests) {
    if (hist() < 0.5) continue;
    for (let k = 0; k < 1 + Math.floor(hist() * 6); k++) {
      const a = t.actions[Math.floor(hist() * t.actions.length)];
      engine.record({
        customerId: req.customerId,
        actionId: a.id,
        channel: t.channels[a.channels[Math.floor(hist() * a.channels.length)]],
        outcome: hist() < 0.6 ? 'impression' : 'reject',
        at: NOW - Math.floor(hist() * 60 * 86_400_000),
      });
    }
  }
  return { engine, store, t };
}

export async function run() {
  const rand = mulberry32(2026);
  const requests = customers(1000, rand);
  const n = requests.length;
  const { engine, store, t } = await engineFor(true, requests, rand);
  const d = engine.decisions;
  const plain = (await engineFor(false, requests, rand)).engine;

  // the reference peer: the same request -> encode -> referenceDecide -> result objects
  const models = new Map(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
  const contactsOffset = engine.stateLayout.sections.find((s) => s.name === 'contacts').offset;
  const fresh = d.freshState();
  const referencePeer = (i) => {
    const req = requests[i % n];
    const features = engine.schema.encode(req.features);
    const frame = new Float64Array(t.frame.slots).fill(NaN);
    const c = t.channels.indexOf(req.context.channel);
    const r = referenceDecide(t, models, { features, frame, state: store.get(req.customerId) ?? fresh, contactsOffset, now: NOW, channels: [c], limit: t.arbitration.limit });
    return r.ranked.map((k) => {
      const rec = r.records[k];
      const a = t.actions[rec.action];
      return { id: a.id, kind: a.kind, channel: t.channels[rec.channel], priority: rec.priority, propensity: rec.propensity, value: rec.value, context: rec.context, lever: rec.lever };
    });
  };
  let selected = 0;
  let scored = 0;
  for (let i = 0; i < 200; i++) {
    const dec = engine.decide(requests[i], { explain: true });
    const w = dec.actions.map((a) => `${a.id}@${a.channel}:${a.priority}`).join();
    const r = referencePeer(i).map((a) => `${a.id}@${a.channel}:${a.priority}`).join();
    if (w !== r) throw new Error(`decide and the reference twin disagree on customer ${i}: ${w} vs ${r}`);
    selected += dec.actions.length;
    if (dec.explanation.scores.churn) scored++;
  }

  // kernel only, on the inputs of the last decide call; the rules stage on the same inputs
  const ex = engine.wasm.exports;
  const c0 = 1 << t.channels.indexOf(requests[199].context.channel);
  const kernelOnly = () => ex.decide(d.placed.dt, d.featuresPtr, d.framePtr, d.statePtr, NOW, c0, 0, 3, 0, d.outPtr);
  const eligibility = t.actions.map((a) => d.placed.programPtrs[a.rules[a.tiers[0] - 1][1]]);
  const list = engine.wasm.place(Int32Array.from(eligibility));
  const out = engine.wasm.alloc(eligibility.length * 8, 16);
  const rulesStage = () => ex.evalPrograms(list, eligibility.length, d.framePtr, d.featuresPtr, out);
  const rows = requests.map((r) => engine.schema.encode(r.features));
  const scoreOut = new Float32Array(1);

  const SUITE = 'decide telco 50 actions';
  const peers = [
    ['engine.decide', (i) => engine.decide(requests[i % n])],
    ['engine.decide explain', (i) => engine.decide(requests[i % n], { explain: true })],
    ['reference twin (plain TS)', referencePeer],
    ['kernel only', kernelOnly],
    ['churn model alone (300 trees)', (i) => engine.score('churn', rows[i % n], scoreOut)],
    ['rules stage (50 programs)', rulesStage],
    ['engine.decide, no model', (i) => plain.decide(requests[i % n])],
  ];
  const samples = peers.map(() => []);
  const rounds = options.quick ? 2 : 12;
  for (let round = 0; round < rounds; round++) {
    peers.forEach(([, fn], k) => {
      const s = latency(fn, { warmup: round === 0 ? (options.quick ? 500 : 4000) : 200, samples: options.quick ? 300 : 2000 });
      samples[k].push(s);
    });
  }
  console.log(
    `${t.actions.length} actions, ${t.actions.reduce((s, a) => s + a.rules.length, 0)} rules, 300-tree churn model (scored in ${scored} of 200 decisions), ` +
      `${t.policies.length} policies, ${(selected / 200).toFixed(2)} actions selected per decision`,
  );
  console.log('peer (us per call)'.padEnd(34) + 'p50'.padStart(9) + 'p99'.padStart(9));
  peers.forEach(([name], k) => {
    // the median over rounds of each round's p50 and p99
    const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const p50 = med(samples[k].map((s) => s.p50)) / 1000;
    const p99 = med(samples[k].map((s) => s.p99)) / 1000;
    console.log(name.padEnd(34) + p50.toFixed(2).padStart(9) + p99.toFixed(2).padStart(9));
    const peer = name === 'engine.decide' ? ['reference twin (plain TS)'] : ['engine.decide'];
    record(SUITE, 'latency p50', name, p50, 'us', peer);
    record(SUITE, 'latency p99', name, p99, 'us', peer);
  });
}
