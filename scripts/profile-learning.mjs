/**
 * The learning suite's engine (bench/suites/learning.bench.mjs: 50 adaptive
 * actions x 20 predictors, Thompson sampling, a no-re-offer policy, limit 3)
 * in a loop, for profiles and CPU-time comparisons on a shared machine
 * (`npm run build` first):
 *
 *   node scripts/profile-learning.mjs [decide|kernel|record-new|record-returning|learning-record] [calls]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/profile-learning.mjs decide 300000
 *
 * decide and kernel cycle through 2,000 customers (no learning in between);
 * the record modes first decide for `calls` customers (untimed; returning:
 * an impression recorded too), then time one outcome per customer. Prints
 * the process CPU time per call of 5 rounds, sorted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, Engine, MemoryStore } from '../dist/index.js';
import { customerSource, learningSpec, NOW, trainLearning } from '../bench/suites/learning.bench.mjs';

const mode = process.argv[2] ?? 'decide';
const calls = Number(process.argv[3] ?? 200_000);
const MODES = ['decide', 'kernel', 'record-new', 'record-returning', 'learning-record'];
if (!MODES.includes(mode) || !(calls >= 5)) {
  console.error(`usage: node scripts/profile-learning.mjs [${MODES.join('|')}] [calls >= 5]`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'nb-profile-learning-'));
writeFileSync(join(dir, 'learning.yaml'), learningSpec());
const bytes = await buildBundle(join(dir, 'learning.yaml'), { created: '2026-01-01T00:00:00Z' });
const per = Math.floor(calls / 5);
const store = new MemoryStore({ maxEntries: 6 * per + 10_000 });
const engine = await Engine.load(bytes, { store, learning: { seed: 1, log: { maxCustomers: 6 * per + 10_000, offersPerCustomer: 4 } } });
const src = customerSource(2024);
trainLearning(engine, src);
const requests = Array.from({ length: 2000 }, (_, i) => ({ customerId: `c${i}`, features: src.next(), context: { now: NOW, channel: 'app' } }));

const rounds = [];
/** CPU us per outcome of one round (a function of its own, so a profile can select it). */
function timedRecords(engine, recs) {
  const c0 = process.cpuUsage();
  if (mode === 'learning-record') for (let i = 0; i < recs.length; i++) engine.learning.record(recs[i]);
  else for (let i = 0; i < recs.length; i++) engine.record(recs[i]);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / recs.length;
}
if (mode === 'decide' || mode === 'kernel') {
  const d = engine.decisions;
  const ex = engine.wasm.exports;
  const app = 1 << d.tables.channels.indexOf('app');
  engine.decide(requests[0]); // the kernel mode reuses this call's inputs and exploration stream
  const run = mode === 'decide' ? (i) => engine.decide(requests[i % 2000]) : () => ex.decide(d.placed.dt, d.featuresPtr, d.framePtr, d.statePtr, NOW, app, 0, 3, 0, d.outPtr);
  for (let i = 0; i < 20_000; i++) run(i);
  for (let k = 0; k < 5; k++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < per; i++) run(i);
    const c = process.cpuUsage(c0);
    rounds.push((c.user + c.system) / per);
  }
} else {
  for (let k = 0; k < 5; k++) {
    const recs = [];
    for (let i = 0; i < per; i++) {
      const customerId = `r${k}-${i}`;
      const res = engine.decide({ customerId, features: requests[i % 2000].features, context: { now: NOW, channel: 'app' } }, { limit: 1 });
      recs.push({ customerId, actionId: res.actions[0].id, channel: 'app', outcome: i % 11 === 0 ? 'accept' : 'reject', at: NOW + 1000 });
    }
    if (mode === 'record-returning') for (const r of recs) engine.record({ ...r, outcome: 'impression', at: NOW });
    rounds.push(timedRecords(engine, recs));
  }
}
rounds.sort((a, b) => a - b);
console.log(`${mode}: CPU us per call, 5 rounds of ${per}: ${rounds.map((x) => x.toFixed(3)).join(' ')} (median ${rounds[2].toFixed(3)})`);
