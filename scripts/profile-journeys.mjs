/**
 * Journeys on the bench's 20 patterns and event stream (bench/suites/journeys.bench.mjs), for
 * profiles and for CPU-time comparisons on a shared machine (`npm run build` first):
 *
 *   node scripts/profile-journeys.mjs [pure|store|slab|kernel|all] [customers] [events] [dist...]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/profile-journeys.mjs pure
 *
 *   pure    engine.observeState(s, e, { into: s }), the caller keeps the states
 *   store   engine.observe(id, e) with the default store
 *   slab    engine.observe(id, e) with memoryStore: { wasm: true }
 *   kernel  the kernel alone on the slab's slots (events pre-encoded)
 *
 * Extra arguments are dist/ directories (default: this checkout's): each is
 * measured in turn, interleaved, 5 rounds, so that two builds compare under
 * the same load. Prints the process CPU time per event of each round, sorted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SPEC, stream } from '../bench/suites/journeys.bench.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const mode = process.argv[2] ?? 'all';
const CUSTOMERS = Number(process.argv[3] ?? 100_000);
const EVENTS = Number(process.argv[4] ?? 1_000_000);
const dists = process.argv.length > 5 ? process.argv.slice(5).map((d) => resolve(d)) : [join(ROOT, 'dist')];
if (!['pure', 'store', 'slab', 'kernel', 'all'].includes(mode) || !(CUSTOMERS >= 1) || !(EVENTS >= 1000)) {
  console.error('usage: node scripts/profile-journeys.mjs [pure|store|slab|kernel|all] [customers] [events] [dist...]');
  process.exit(2);
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3; // ms
};

// The bench's stream is sized for 100,000 customers; customers are folded onto CUSTOMERS.
const { customers: drawn, events: all } = stream(7);
const n = Math.min(EVENTS, all.length);
const events = all.slice(0, n);
const customers = Int32Array.from(drawn.subarray(0, n), (c) => c % CUSTOMERS);
const ids = Array.from({ length: CUSTOMERS }, (_, i) => `cust-${i}`);
const SPAN = 40 * 86_400_000;
const shift = () => {
  for (const ev of events) ev.time += SPAN;
};

const dir = mkdtempSync(join(tmpdir(), 'nb-profile-journeys-'));
writeFileSync(join(dir, 'bench.yaml'), SPEC);

const subjects = [];
for (const d of dists) {
  const lib = await import(pathToFileURL(join(d, 'index.js')).href);
  const bytes = await lib.buildBundle(join(dir, 'bench.yaml'), { created: 'bench' });
  const forms = mode === 'all' ? ['pure', 'store', 'slab', 'kernel'] : [mode];
  for (const form of forms) {
    const engine = await lib.Engine.load(bytes, form === 'slab' || form === 'kernel' ? { memoryStore: { wasm: true, maxEntries: 2 * CUSTOMERS } } : { memoryStore: { maxEntries: 2 * CUSTOMERS } });
    let matches = 0;
    let pass;
    if (form === 'pure') {
      const states = new Array(CUSTOMERS);
      const opts = {};
      pass = () => {
        for (let i = 0; i < n; i++) {
          const c = customers[i];
          const s = states[c];
          let r;
          if (s === undefined) r = engine.observeState(undefined, events[i]);
          else {
            opts.into = s;
            r = engine.observeState(s, events[i], opts);
          }
          states[c] = r.state;
          matches += r.matches.length;
        }
      };
    } else if (form === 'store' || form === 'slab') {
      pass = () => {
        for (let i = 0; i < n; i++) matches += engine.observe(ids[customers[i]], events[i]).matches.length;
      };
    } else {
      const rt = engine.journeys;
      for (let i = 0; i < Math.min(n, 10 * CUSTOMERS); i++) engine.observe(ids[customers[i]], events[i]);
      const slots = Int32Array.from(ids, (id) => engine.store.peekSlot(id));
      const FS = Math.max(1, rt.set.frameSlots);
      const frames = new Float64Array(n * FS);
      const types = new Int32Array(n);
      pass = () => {
        for (let i = 0; i < n; i++) {
          types[i] = rt.encodeEvent(events[i]);
          frames.set(rt.wasm.f64.subarray(rt.framePtr >> 3, (rt.framePtr >> 3) + FS), i * FS);
        }
        const c0 = cpu();
        const f64 = rt.wasm.f64;
        const fb = rt.framePtr >> 3;
        for (let i = 0; i < n; i++) {
          for (let s = 0; s < FS; s++) f64[fb + s] = frames[i * FS + s];
          rt.observeFn(rt.table, slots[customers[i]], types[i], rt.framePtr, rt.featuresPtr, rt.outPtr);
        }
        return cpu() - c0;
      };
    }
    subjects.push({ name: `${form} ${d === join(ROOT, 'dist') ? '' : d}`.trim(), pass, times: [], matches: () => matches });
  }
}

for (const s of subjects) {
  shift();
  s.pass(); // warm: every customer has state
}
for (let round = 0; round < 5; round++) {
  for (const s of subjects) {
    shift();
    const c0 = cpu();
    const own = s.pass();
    s.times.push(((typeof own === 'number' ? own : cpu() - c0) * 1e6) / n);
  }
}
const load = (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`${CUSTOMERS} customers, ${n} events per round; load ${load}; CPU ns per event, 5 rounds sorted:`);
for (const s of subjects) {
  const t = s.times.sort((a, b) => a - b);
  console.log(`  ${s.name.padEnd(40)} ${t.map((x) => x.toFixed(0).padStart(5)).join(' ')}   best ${(1e3 / t[0]).toFixed(2)}M/s  (${s.matches()} matches)`);
}
