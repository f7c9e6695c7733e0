// Adaptive models benchmark: scoring 50 actions x 20 predictors per call (the
// adaptive part of a decision), Thompson sampling, and record() throughput,
// against the plain-TypeScript reference twin measured in the same run.
//
//   npm run build && node bench/adaptive.mjs
//
// Uses dist/ (the published build) for the wasm side. The reference twin is
// TypeScript; it is bundled here with esbuild (tsup's own compiler).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { AdaptiveModel } from '../dist/index.js';

const twinFile = join(mkdtempSync(join(tmpdir(), 'nb-bench-')), 'adaptive-twin.mjs');
buildSync({
  stdin: {
    contents: "export { referenceAdaptiveObserve } from './src/reference/adaptive.ts'; export { decodeLearning } from './src/adaptive/snapshot.ts';",
    resolveDir: fileURLToPath(new URL('..', import.meta.url)),
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: twinFile,
  logLevel: 'error',
});
const { referenceAdaptiveObserve, decodeLearning } = await import(pathToFileURL(twinFile).href);

const ACTIONS = 50;
let seed = 2024;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);

// 20 predictors: 12 numeric (8 thresholds each), 8 categorical (6 categories each).
const features = [];
const predictors = {};
for (let i = 0; i < 12; i++) {
  features.push({ name: `n${i}`, type: 'numeric' });
  predictors[`n${i}`] = { thresholds: [10, 20, 30, 40, 50, 60, 70, 80] };
}
for (let i = 0; i < 8; i++) {
  const categories = ['a', 'b', 'c', 'd', 'e', 'f'];
  features.push({ name: `k${i}`, type: 'categorical', categories });
  predictors[`k${i}`] = {};
}
const model = await AdaptiveModel.create({ id: 'offers', features, predictors, instances: 'action' }, { learning: { seed: 1, log: { maxCustomers: 250_000, offersPerCustomer: 1 } } });
const actions = Array.from({ length: ACTIONS }, (_, i) => `action_${i}`);

function customer() {
  const f = {};
  for (let i = 0; i < 12; i++) f[`n${i}`] = rand() < 0.05 ? null : Math.floor(rand() * 90);
  for (let i = 0; i < 8; i++) f[`k${i}`] = rand() < 0.05 ? null : 'abcdef'[Math.floor(rand() * 6)];
  return f;
}
// acceptance depends on a few features and the action, so predictors become active
const accepts = (f, a) => rand() < 0.03 + 0.002 * (a % 10) + ((f.n0 ?? 0) > 50 ? 0.04 : 0) + (f.k0 === 'a' ? 0.05 : 0) + ((f.n3 ?? 0) < 20 && a % 2 ? 0.03 : 0);

// Train: 40 outcomes per action per round, until every instance has 1,000.
for (let round = 0; round < 25; round++) {
  for (let a = 0; a < ACTIONS; a++) {
    for (let k = 0; k < 40; k++) {
      const f = customer();
      model.learn(model.observe(f, { action: actions[a] }), accepts(f, a) ? 'accept' : 'reject');
    }
  }
}
const group = model.learning.group('offers', actions.map((action) => ({ action })));
const report = model.report({ action: actions[3] });
const activeCount = report.predictors.filter((p) => p.active).length;

const customers = Array.from({ length: 2000 }, customer);
const vectors = customers.map((c) => model.encode(c));

// The same answers before timing anything.
const snapshotCounts = new Map(decodeLearning(model.learning.snapshot()).models[0].instances);
for (let i = 0; i < 20; i++) {
  const p = group.propensities(vectors[i]);
  for (let a = 0; a < ACTIONS; a++) {
    const want = referenceAdaptiveObserve(model.table, snapshotCounts.get(actions[a]), vectors[i]).propensity;
    if (!Object.is(p[a], want)) throw new Error(`wasm and reference differ: customer ${i} action ${a}: ${p[a]} vs ${want}`);
  }
}

function latency(fn, n) {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    fn(i);
    t[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  t.sort();
  return { p50: t[Math.floor(n * 0.5)], p99: t[Math.floor(n * 0.99)] };
}
const fmt = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

const ROUNDS = 5;
const best = {};
const keep = (name, r) => {
  const b = best[name];
  if (!b || r.p50 < b.p50) best[name] = r;
};
let sink = 0;
for (let round = 0; round < ROUNDS; round++) {
  keep('propensities, 50 actions, feature object', latency((i) => (sink += group.propensities(customers[i % 2000])[0]), 20_000));
  keep('propensities, 50 actions, Float32Array', latency((i) => (sink += group.propensities(vectors[i % 2000])[0]), 20_000));
  keep('propensities + Thompson, 50 actions, object', latency((i) => (sink += group.explore(customers[i % 2000])[0]), 20_000));
  keep('reference twin, 50 actions, Float32Array', latency((i) => {
    for (let a = 0; a < ACTIONS; a++) sink += referenceAdaptiveObserve(model.table, snapshotCounts.get(actions[a]), vectors[i % 2000]).propensity;
  }, 200));
}

// record(): outcomes of logged decisions (one offer each), looked up by customer and action.
// Rates per core use the process's CPU time (user + system), so other jobs on
// the shared machine inflate them less than wall time; wall rates are shown too.
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const N = 200_000;
let recordBest = 0;
let learnBest = 0;
let recordCpuBest = 0;
let learnCpuBest = 0;
for (let round = 0; round < 3; round++) {
  const base = round * N;
  for (let i = 0; i < N; i++) {
    model.learning.offered(`c${base + i}`, [{ actionId: actions[i % ACTIONS], modelId: 'offers', features: vectors[i % 2000] }]);
  }
  const requests = Array.from({ length: N }, (_, i) => ({ customerId: `c${base + i}`, actionId: actions[i % ACTIONS], outcome: i % 11 === 0 ? 'accept' : 'reject' }));
  let s = process.hrtime.bigint();
  let c = cpuNow();
  for (let i = 0; i < N; i++) if (!model.learning.record(requests[i]).learned) throw new Error('record did not learn');
  recordBest = Math.max(recordBest, N / (Number(process.hrtime.bigint() - s) / 1e9));
  recordCpuBest = Math.max(recordCpuBest, N / (cpuNow() - c));
  // learn(observation): the update kernel without the log lookup
  const obs = Array.from({ length: 20_000 }, (_, i) => model.observe(vectors[i % 2000], { action: actions[i % ACTIONS] }));
  s = process.hrtime.bigint();
  c = cpuNow();
  for (let i = 0; i < obs.length; i++) model.learn(obs[i], i % 11 === 0 ? 'accept' : 'reject');
  learnBest = Math.max(learnBest, obs.length / (Number(process.hrtime.bigint() - s) / 1e9));
  learnCpuBest = Math.max(learnCpuBest, obs.length / (cpuNow() - c));
}
// scoring right after an update: the updated instance re-derives AUCs and its classifier once
const afterUpdate = latency((i) => {
  model.learn(model.observe(vectors[i % 2000], { action: actions[i % ACTIONS] }), 'reject');
  sink += group.propensities(vectors[(i + 7) % 2000])[0];
}, 20_000);

console.log(`adaptive: 50 actions x 20 predictors (${report.predictors.length}; ${activeCount} active in action_3), ${report.positives + report.negatives} outcomes per action; Node ${process.version}`);
console.log('latency per call (us), best p50 of 5 rounds:');
for (const [name, r] of Object.entries(best)) console.log(`  ${name.padEnd(46)} p50 ${fmt(r.p50).padStart(7)}  p99 ${fmt(r.p99).padStart(7)}`);
console.log(`  ${'one update + propensities, 50 actions'.padEnd(46)} p50 ${fmt(afterUpdate.p50).padStart(7)}  p99 ${fmt(afterUpdate.p99).padStart(7)}`);
console.log(`  ratio reference / wasm (Float32Array): ${(best['reference twin, 50 actions, Float32Array'].p50 / best['propensities, 50 actions, Float32Array'].p50).toFixed(0)}x`);
console.log(`throughput (best of 3 rounds), per CPU-second and per wall-second:`);
console.log(`  record() from the decision log   ${(recordCpuBest / 1e6).toFixed(2)}M/s cpu   ${(recordBest / 1e6).toFixed(2)}M/s wall`);
console.log(`  learn(observation)               ${(learnCpuBest / 1e6).toFixed(2)}M/s cpu   ${(learnBest / 1e6).toFixed(2)}M/s wall`);
console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${availableParallelism()} cores)`);
if (sink === 42) console.log('');
