/**
 * engine.decide on the shipped telco bundle in a loop, for profiles and for
 * CPU-time comparisons on a shared machine (`npm run build` first):
 *
 *   node scripts/profile-decide.mjs [decide|explain|kernel] [calls]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/profile-decide.mjs decide 300000
 *
 * The population is bench/suites/decide.bench.mjs's: 1000 customers drawn
 * from scripts/demo-population.mjs, one channel each, half with a recorded
 * contact history and about a quarter with journey events, in the engine's
 * MemoryStore. Prints the process CPU time per call of 5 rounds, sorted:
 * CPU time, not wall time, because other jobs on the machine stretch wall
 * time and leave CPU time nearly alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, MemoryStore } from '../dist/index.js';
import { rng, STORIES, telcoCustomer } from './demo-population.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const CHANNELS = ['app', 'web', 'email', 'sms', 'call_center', 'store'];
const MIX = [0.35, 0.1, 0.2, 0.1, 0.15, 0.1];
const NOW = Date.UTC(2026, 2, 2, 12);
const mode = process.argv[2] ?? 'decide';
const calls = Number(process.argv[3] ?? 200_000);
if (!['decide', 'explain', 'kernel'].includes(mode) || !(calls >= 5)) {
  console.error('usage: node scripts/profile-decide.mjs [decide|explain|kernel] [calls >= 5]');
  process.exit(2);
}

const r = rng(2026);
const reqs = Array.from({ length: 1000 }, (_, i) => {
  const channel = r.pick(CHANNELS, MIX);
  const context = { now: NOW, channel };
  if (channel === 'call_center' && r.chance(0.2)) context.call_reason = r.pick(['billing', 'technical', 'contract', 'cancel', 'upgrade', 'other']);
  return { customerId: `c${i}`, features: telcoCustomer(r), context };
});
const engine = await Engine.load(new Uint8Array(readFileSync(join(ROOT, 'models', 'telco.nbb'))), { store: new MemoryStore(), learning: { seed: 1 } });
const d = engine.decisions;
const t = d.tables;
for (const req of reqs) {
  if (r.chance(0.5)) continue;
  for (let k = 0, n = r.int(1, 6); k < n; k++) {
    const a = t.actions[Math.floor(r.u() * t.actions.length)];
    const channel = t.channels[a.channels[Math.floor(r.u() * a.channels.length)]];
    engine.record({ customerId: req.customerId, actionId: a.id, channel, outcome: r.chance(0.6) ? 'impression' : 'reject', at: NOW - Math.floor(r.u() * 60 * 86_400_000) });
  }
}
for (const q of reqs) {
  for (const e of STORIES.telco(r, NOW)) engine.observe(q.customerId, e, { features: q.features });
  engine.advance(q.customerId, NOW);
}

const explain = { explain: true };
const ex = engine.wasm.exports;
const app = 1 << t.channels.indexOf('app');
const run = {
  decide: (i) => engine.decide(reqs[i % 1000]),
  explain: (i) => engine.decide(reqs[i % 1000], explain),
  // the kernel on the inputs of the last decide call
  kernel: () => ex.decide(d.placed.dt, d.featuresPtr, d.framePtr, d.statePtr, NOW, app, 0, t.arbitration.limit, 0, d.outPtr),
}[mode];
for (let i = 0; i < 20_000; i++) run(i);
const rounds = [];
const per = Math.floor(calls / 5);
for (let k = 0; k < 5; k++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < per; i++) run(i);
  const c = process.cpuUsage(c0);
  rounds.push((c.user + c.system) / per);
}
rounds.sort((a, b) => a - b);
console.log(`${mode}: CPU us per call, 5 rounds of ${per}: ${rounds.map((x) => x.toFixed(2)).join(' ')} (median ${rounds[2].toFixed(2)})`);
