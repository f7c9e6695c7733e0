/**
 * Adaptive models: the adaptive part of a decision with 50 actions of 20
 * predictors (bin the customer once, score and classify every action, with
 * and without Thompson sampling), one update followed by scoring, and the
 * outcome path: record() through the decision log and learn(observation).
 * Peer: the plain-TS reference twin, which recomputes AUCs, activity, logs
 * and the PAV classifier from the counts at every call.
 *
 * One model of 20 predictors (12 numeric with 8 thresholds, 8 categorical
 * with 6 values), one instance per action, 50 actions with 1,000 outcomes
 * each. Rates are per CPU-second of this process (the machine is shared; wall
 * rates are printed alongside).
 */
import { AdaptiveModel } from '../../dist/index.js';
import { referenceAdaptiveObserve, decodeLearning } from '../../dist/reference.js';
import { latency, mulberry32, record } from '../lib.mjs';

const ACTIONS = 50;
const SUITE = 'adaptive 50 actions x 20 predictors';

function customerSource(seed) {
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

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function run() {
  const features = [];
  const predictors = {};
  for (let i = 0; i < 12; i++) {
    features.push({ name: `n${i}`, type: 'numeric' });
    predictors[`n${i}`] = { thresholds: [10, 20, 30, 40, 50, 60, 70, 80] };
  }
  for (let i = 0; i < 8; i++) {
    features.push({ name: `k${i}`, type: 'categorical', categories: ['a', 'b', 'c', 'd', 'e', 'f'] });
    predictors[`k${i}`] = {};
  }
  const N = 100_000;
  const model = await AdaptiveModel.create(
    { id: 'offers', features, predictors, instances: 'action' },
    { learning: { seed: 1, maxInstances: 100, log: { maxCustomers: 2 * N, offersPerCustomer: 1 } } },
  );
  const actions = Array.from({ length: ACTIONS }, (_, i) => `action_${i}`);
  const src = customerSource(2024);
  // acceptance depends on a few features and the action, so predictors become active
  const accepts = (f, a) =>
    src.rand() < 0.03 + 0.002 * (a % 10) + ((f.n0 ?? 0) > 50 ? 0.04 : 0) + (f.k0 === 'a' ? 0.05 : 0) + ((f.n3 ?? 0) < 20 && a % 2 ? 0.03 : 0);
  for (let round = 0; round < 25; round++) {
    for (let a = 0; a < ACTIONS; a++) {
      for (let k = 0; k < 40; k++) {
        const f = src.next();
        model.learn(model.observe(f, { action: actions[a] }), accepts(f, a) ? 'accept' : 'reject');
      }
    }
  }
  const group = model.learning.group('offers', actions.map((action) => ({ action })));
  const active = model.report({ action: actions[3] }).predictors.filter((p) => p.active).length;
  const customers = Array.from({ length: 2000 }, () => src.next());
  const vectors = customers.map((c) => model.encode(c));

  // The same answers before timing anything.
  const counts = new Map(decodeLearning(model.learning.snapshot()).models[0].instances);
  for (let i = 0; i < 20; i++) {
    const p = group.propensities(vectors[i]);
    for (let a = 0; a < ACTIONS; a++) {
      const want = referenceAdaptiveObserve(model.table, counts.get(actions[a]), vectors[i]).propensity;
      if (!Object.is(p[a], want)) throw new Error(`wasm and reference differ: customer ${i} action ${a}: ${p[a]} vs ${want}`);
    }
  }
  console.log(`${ACTIONS} actions, 20 predictors (${active} active in action_3), 1000 outcomes per action`);

  let sink = 0;
  const us = (r) => ({ p50: r.p50 / 1000, p99: r.p99 / 1000 });
  const lat = {
    vector: us(latency((i) => (sink += group.propensities(vectors[i % 2000])[0]))),
    object: us(latency((i) => (sink += group.propensities(customers[i % 2000])[0]))),
    thompson: us(latency((i) => (sink += group.explore(customers[i % 2000])[0]))),
    reference: us(
      latency(
        (i) => {
          for (let a = 0; a < ACTIONS; a++) sink += referenceAdaptiveObserve(model.table, counts.get(actions[a]), vectors[i % 2000]).propensity;
        },
        { warmup: 5, samples: 100 },
      ),
    ),
    update: us(
      latency((i) => {
        model.learn(model.observe(vectors[i % 2000], { action: actions[i % ACTIONS] }), 'reject');
        sink += group.propensities(vectors[(i + 7) % 2000])[0];
      }),
    ),
  };
  const metric = 'propensities of 50 actions, p50';
  record(SUITE, metric, 'wasm (Float32Array)', lat.vector.p50, 'us', 'reference twin');
  record(SUITE, metric, 'wasm (feature object)', lat.object.p50, 'us', 'reference twin');
  record(SUITE, metric, 'wasm + Thompson (object)', lat.thompson.p50, 'us');
  record(SUITE, metric, 'wasm, one learn() first', lat.update.p50, 'us');
  record(SUITE, metric, 'reference twin', lat.reference.p50, 'us');
  for (const [name, r] of Object.entries(lat)) console.log(`  ${name.padEnd(10)} p50 ${r.p50.toFixed(2)} us  p99 ${r.p99.toFixed(2)} us`);

  // record(): outcomes of logged decisions (one offer each), found by customer and action.
  let recordCpu = 0;
  let recordWall = 0;
  let learnCpu = 0;
  let learnWall = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < N; i++) {
      model.learning.offered(`c${round}-${i}`, [{ actionId: actions[i % ACTIONS], modelId: 'offers', features: vectors[i % 2000] }]);
    }
    const requests = Array.from({ length: N }, (_, i) => ({ customerId: `c${round}-${i}`, actionId: actions[i % ACTIONS], outcome: i % 11 === 0 ? 'accept' : 'reject' }));
    let t = process.hrtime.bigint();
    let c = cpuSeconds();
    for (let i = 0; i < N; i++) if (!model.learning.record(requests[i]).learned) throw new Error('record did not learn');
    recordCpu = Math.max(recordCpu, N / (cpuSeconds() - c));
    recordWall = Math.max(recordWall, N / (Number(process.hrtime.bigint() - t) / 1e9));
    const obs = Array.from({ length: 20_000 }, (_, i) => model.observe(vectors[i % 2000], { action: actions[i % ACTIONS] }));
    t = process.hrtime.bigint();
    c = cpuSeconds();
    for (let i = 0; i < obs.length; i++) model.learn(obs[i], i % 11 === 0 ? 'accept' : 'reject');
    learnCpu = Math.max(learnCpu, obs.length / (cpuSeconds() - c));
    learnWall = Math.max(learnWall, obs.length / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  record(SUITE, 'outcomes per CPU-second', 'record() via the decision log', recordCpu, 'rows/s');
  record(SUITE, 'outcomes per CPU-second', 'learn(observation)', learnCpu, 'rows/s');
  console.log(`  record()   ${(recordCpu / 1e6).toFixed(2)}M/s cpu  ${(recordWall / 1e6).toFixed(2)}M/s wall (${N} logged customers)`);
  console.log(`  learn()    ${(learnCpu / 1e6).toFixed(2)}M/s cpu  ${(learnWall / 1e6).toFixed(2)}M/s wall`);
  if (sink === 42) console.log('');
}
