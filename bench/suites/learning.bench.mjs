/**
 * Learning from every outcome through the engine (issue 5, "How fast"):
 * `engine.decide()` latency with 50 adaptive actions of 20 predictors each
 * (target p50 <= 15 us) and `engine.record()` throughput (target >= 1M
 * outcomes per second per core).
 *
 * The bundle: 20 features (12 numeric, 8 categorical), one adaptive model
 * learning per action over all 20 (12 numeric predictors with 8
 * thresholds, 8 categorical with 6 values, as bench/suites/adaptive.bench.mjs),
 * Thompson sampling, 50 sale actions whose propensity is the model's, one
 * contact policy (no re-offer of an action within a day), limit 3 on one
 * channel. The model starts from 1,000 outcomes per action, so every
 * predictor is active and the score bins are filled.
 *
 * decide, peers in the same run, interleaved in rounds (each call timed alone):
 *   engine.decide              JS request object -> JS result: 20 features encoded by name, the
 *                              customer's contact history from the store, one kernel call (50
 *                              instances scored, 50 Thompson draws, ranking), 3 result objects, the
 *                              offers logged for record()
 *   engine.decide + record     one decision with an outcome recorded before it, so one instance has
 *                              changed and re-derives its AUCs and classifier inside the decision
 *   engine.decide probability  with { probability: { draws: 100 } } (101 kernel runs)
 *   reference twin             the plain-TS decision function (src/reference/decide.ts) on the same
 *                              inputs: it recomputes AUCs, activity and the PAV classifier from the
 *                              counts of every instance it scores
 *   kernel only                the decide export on inputs already in wasm memory
 * record: outcomes of logged decisions (one per customer) per CPU-second, through
 *   engine.record (new)        contact history in the store (a customer the store does not hold
 *                              yet: fresh state inserted) + the decision log + the model update
 *   engine.record (returning)  the same for customers whose state the store holds (an impression
 *                              recorded before, untimed)
 *   engine.learning.record     the decision log + the model update (no contact history)
 *   reference twin             the same work in plain TS: a Map of logged observations, the
 *                              contact-history twin and the counts update of the adaptive twin
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, Engine, MemoryStore } from '../../dist/index.js';
import { decodeLearning, referenceAdaptiveUpdate, referenceCounts, referenceDecide, referenceRecord, ReferencePrng } from '../../dist/reference.js';
import { latency, mulberry32, options, record } from '../lib.mjs';

const ACTIONS = 50;
const SUITE = 'learning 50 adaptive actions x 20 predictors';
export const NOW = Date.UTC(2026, 0, 15, 12);

/** The bundle spec (also scripts/profile-learning.mjs). */
export function learningSpec() {
  const features = [];
  const predictors = [];
  for (let i = 0; i < 12; i++) {
    features.push(`  n${i}: numeric`);
    predictors.push(`n${i}: { thresholds: [10, 20, 30, 40, 50, 60, 70, 80] }`);
  }
  for (let i = 0; i < 8; i++) {
    features.push(`  k${i}: [a, b, c, d, e, f]`);
    predictors.push(`k${i}: {}`);
  }
  const actions = Array.from({ length: ACTIONS }, (_, a) => `  action_${a}: { kind: sale, propensity: score.offers, value: ${10 + (a % 7)} }`);
  return `bundle: bench-learning
version: "1"
features:
${features.join('\n')}
context: { channel: [app, email] }
models:
  offers:
    adaptive:
      instances: action
      predictors: { ${predictors.join(', ')} }
      exploration: { method: thompson }
actions:
${actions.join('\n')}
policies:
  no_reoffer: { each: action, suppress: 1d, count: [impression, reject] }
arbitration: { limit: 3 }
`;
}

/** Seeded customers: 12 numeric features (5% missing), 8 categorical (5% missing). */
export function customerSource(seed) {
  const rand = mulberry32(seed);
  return {
    rand,
    next() {
      const f = {};
      for (let i = 0; i < 12; i++) f[`n${i}`] = rand() < 0.05 ? null : Math.floor(rand() * 90);
      for (let i = 0; i < 8; i++) f[`k${i}`] = rand() < 0.05 ? null : 'abcdef'[Math.floor(rand() * 6)];
      return f;
    },
  };
}

/** 1,000 outcomes per action, where acceptance depends on a few features and the action (so predictors become active). */
export function trainLearning(engine, src) {
  const actions = engine.actionIds;
  const accepts = (f, a) =>
    src.rand() < 0.03 + 0.002 * (a % 10) + ((f.n0 ?? 0) > 50 ? 0.04 : 0) + (f.k0 === 'a' ? 0.05 : 0) + ((f.n3 ?? 0) < 20 && a % 2 ? 0.03 : 0);
  for (let round = 0; round < 25; round++) {
    for (let a = 0; a < ACTIONS; a++) {
      for (let k = 0; k < 40; k++) {
        const f = src.next();
        engine.learning.learn(engine.learning.observe('offers', { action: actions[a] }, f), accepts(f, a) ? 'accept' : 'reject');
      }
    }
  }
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'nb-bench-learning-'));
  writeFileSync(join(dir, 'learning.yaml'), learningSpec());
  const bytes = await buildBundle(join(dir, 'learning.yaml'), { created: '2026-01-01T00:00:00Z' });
  const N = options.quick ? 20_000 : 200_000;
  const store = new MemoryStore({ maxEntries: 7 * N + 10_000 });
  const engine = await Engine.load(bytes, { store, learning: { seed: 1, log: { maxCustomers: 7 * N + 10_000, offersPerCustomer: 4 } } });
  const actions = engine.actionIds;
  const src = customerSource(2024);
  trainLearning(engine, src);
  const active = engine.learning.report('offers', { action: actions[3] }).predictors.filter((p) => p.active).length;
  const requests = Array.from({ length: 2000 }, (_, i) => ({ customerId: `c${i}`, features: src.next(), context: { now: NOW, channel: 'app' } }));

  // The reference twin on the same inputs: the engine's counts, the same exploration stream.
  const d = engine.decisions;
  const t = d.tables;
  const models = new Map(engine.modelIds.map((id) => [id, engine.modelTable(id)]));
  const table = models.get('offers');
  const counts = new Map(decodeLearning(engine.learning.snapshot()).models[0].instances);
  const contactsOffset = engine.stateLayout.sections.find((s) => s.name === 'contacts').offset;
  const fresh = d.freshState();
  const frame = new Float64Array(t.frame.slots).fill(NaN);
  const app = t.channels.indexOf('app');
  const referencePeer = (i, seed) => {
    const req = requests[i % requests.length];
    const r = referenceDecide(t, models, {
      features: engine.schema.encode(req.features),
      frame,
      state: store.get(req.customerId) ?? fresh,
      contactsOffset,
      now: NOW,
      channels: [app],
      limit: t.arbitration.limit,
      adaptive: { counts: (_, key) => counts.get(key) ?? referenceCounts(table), rng: new ReferencePrng(seed) },
    });
    return r.ranked.map((k) => t.actions[r.records[k].action].id);
  };
  // The same answers before timing anything (seeded decisions, no learning in between).
  let selected = 0;
  for (let i = 0; i < 50; i++) {
    const w = engine.decide({ ...requests[i], customerId: undefined }, { seed: i }).actions.map((a) => a.id);
    const r = referencePeer(i, i);
    if (w.join() !== r.join()) throw new Error(`engine.decide and the reference twin disagree on customer ${i}: ${w} vs ${r}`);
    selected += w.length;
  }
  console.log(`${ACTIONS} actions, 20 predictors (${active} active in action_3), 1000 outcomes per action; ${(selected / 50).toFixed(2)} actions selected per decision`);

  // kernel only, on the inputs of the last decide call
  const ex = engine.wasm.exports;
  const kernelOnly = () => ex.decide(d.placed.dt, d.featuresPtr, d.framePtr, d.statePtr, NOW, 1 << app, 0, 3, 0, d.outPtr);
  let k = 0;
  const decideThenRecord = (i) => {
    // an outcome of the previous decision of this loop, then a decision (which refreshes that instance)
    const req = requests[i % requests.length];
    const res = engine.decide(req);
    const top = res.actions[0];
    if (top) engine.record({ customerId: req.customerId, actionId: top.id, channel: 'app', outcome: k++ % 11 === 0 ? 'accept' : 'reject', at: NOW });
  };
  const peers = [
    ['engine.decide', (i) => engine.decide(requests[i % requests.length])],
    ['engine.decide + record', decideThenRecord],
    ['engine.decide probability (100 draws)', (i) => engine.decide(requests[i % requests.length], { probability: { draws: 100 } })],
    ['reference twin (plain TS)', (i) => referencePeer(i, i)],
    ['kernel only', kernelOnly],
  ];
  const samples = peers.map(() => []);
  const rounds = options.quick ? 2 : 8;
  const slow = new Set(['engine.decide probability (100 draws)', 'reference twin (plain TS)']);
  for (let round = 0; round < rounds; round++) {
    peers.forEach(([name, fn], p) => {
      const many = !slow.has(name);
      const s = latency(fn, { warmup: many ? (round === 0 ? 4000 : 200) : 20, samples: many ? (options.quick ? 300 : 2000) : options.quick ? 10 : 40 });
      samples[p].push(s);
    });
  }
  console.log('peer (us per call)'.padEnd(40) + 'p50'.padStart(9) + 'p99'.padStart(9));
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  peers.forEach(([name], p) => {
    const p50 = med(samples[p].map((s) => s.p50)) / 1000;
    const p99 = med(samples[p].map((s) => s.p99)) / 1000;
    console.log(name.padEnd(40) + p50.toFixed(2).padStart(9) + p99.toFixed(2).padStart(9));
    const peer = name === 'engine.decide' ? ['reference twin (plain TS)'] : ['engine.decide'];
    record(SUITE, 'decide latency p50', name, p50, 'us', peer);
    record(SUITE, 'decide latency p99', name, p99, 'us', peer);
  });

  // record(): outcomes of logged decisions, one offer each, found by customer and action.
  const rates = { engine: 0, returning: 0, learning: 0, reference: 0 };
  const wall = { engine: 0, returning: 0, learning: 0, reference: 0 };
  const outcome = (i) => (i % 11 === 0 ? 'accept' : 'reject');
  for (let round = 0; round < 2; round++) {
    for (const how of ['engine', 'returning', 'learning']) {
      const recs = [];
      for (let i = 0; i < N; i++) {
        const customerId = `r${round}-${how}-${i}`;
        const res = engine.decide({ customerId, features: requests[i % requests.length].features, context: { now: NOW, channel: 'app' } }, { limit: 1 });
        recs.push({ customerId, actionId: res.actions[0].id, channel: 'app', outcome: outcome(i), at: NOW + 1000 });
      }
      // returning customers: contact history already in the store (an impression recorded before, untimed)
      if (how === 'returning') for (let i = 0; i < N; i++) engine.record({ ...recs[i], outcome: 'impression', at: NOW });
      const w0 = process.hrtime.bigint();
      const c0 = cpuSeconds();
      if (how === 'engine' || how === 'returning') {
        for (let i = 0; i < N; i++) if (!engine.record(recs[i]).learning.learned) throw new Error('record did not learn');
      } else {
        for (let i = 0; i < N; i++) if (!engine.learning.record(recs[i]).learned) throw new Error('record did not learn');
      }
      rates[how] = Math.max(rates[how], N / (cpuSeconds() - c0));
      wall[how] = Math.max(wall[how], N / (Number(process.hrtime.bigint() - w0) / 1e9));
    }
    // the reference: observations kept in a Map by customer, contact history and counts updated in plain TS
    const logged = new Map();
    const states = new Map();
    const recs = [];
    for (let i = 0; i < N; i++) {
      const customerId = `ref${round}-${i}`;
      const a = i % ACTIONS;
      const bins = new Uint16Array(20);
      for (let p = 0; p < 20; p++) bins[p] = (i * 7 + p) % 6;
      logged.set(customerId, [{ action: a, bins, scoreBin: i % 200, done: false }]);
      recs.push({ customerId, action: a, outcome: outcome(i) });
    }
    const refCounts = new Map(actions.map((id) => [id, Float64Array.from(counts.get(id))]));
    const OUT = ['impression', 'accept', 'reject'];
    const w0 = process.hrtime.bigint();
    const c0 = cpuSeconds();
    for (let i = 0; i < N; i++) {
      const r = recs[i];
      let state = states.get(r.customerId);
      if (state === undefined) states.set(r.customerId, (state = fresh.slice()));
      referenceRecord(t, state, contactsOffset, r.action, app, OUT.indexOf(r.outcome), NOW + 1000);
      const offer = logged.get(r.customerId).find((o) => o.action === r.action && !o.done);
      offer.done = true;
      referenceAdaptiveUpdate(table, refCounts.get(actions[r.action]), offer.bins, offer.scoreBin, r.outcome === 'accept');
    }
    rates.reference = Math.max(rates.reference, N / (cpuSeconds() - c0));
    wall.reference = Math.max(wall.reference, N / (Number(process.hrtime.bigint() - w0) / 1e9));
  }
  const METRIC = 'outcomes per CPU-second';
  record(SUITE, METRIC, 'engine.record (new customers)', rates.engine, 'rows/s', 'reference twin (plain TS)');
  record(SUITE, METRIC, 'engine.record (returning customers)', rates.returning, 'rows/s', 'reference twin (plain TS)');
  record(SUITE, METRIC, 'engine.learning.record', rates.learning, 'rows/s', 'reference twin (plain TS)');
  record(SUITE, METRIC, 'reference twin (plain TS)', rates.reference, 'rows/s');
  for (const how of ['engine', 'returning', 'learning', 'reference']) {
    console.log(`  record ${how.padEnd(10)} ${(rates[how] / 1e6).toFixed(2)}M/s cpu  ${(wall[how] / 1e6).toFixed(2)}M/s wall (${N} logged customers)`);
  }
}
