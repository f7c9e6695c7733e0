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
import { rng } from './demo-population.mjs';
import { NOW, recordHistory, replayStories, requests } from '../bench/suites/decide.bench.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const mode = process.argv[2] ?? 'decide';
const calls = Number(process.argv[3] ?? 200_000);
if (!['decide', 'explain', 'kernel'].includes(mode) || !(calls >= 5)) {
  console.error('usage: node scripts/profile-decide.mjs [decide|explain|kernel] [calls >= 5]');
  process.exit(2);
}

const r = rng(2026);
const reqs = requests(1000, r);
const engine = await Engine.load(new Uint8Array(readFileSync(join(ROOT, 'models', 'telco.nbb'))), { store: new MemoryStore(), learning: { seed: 1 } });
const d = engine.decisions;
const t = d.tables;
recordHistory(engine, reqs, r);
replayStories(engine, reqs, r);

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
